"""The Norwegian (Bokmål) phrasebook: support-chat texts for simulated sessions in language ``nb``."""

from __future__ import annotations

from simulator.superoffice.phrases.book import PhraseBook

__all__ = ["NB"]

NB = PhraseBook(
    language="nb",
    customer_openers=(
        "Hei, jeg får ikke logget inn. Det står at passordet er feil, men jeg har nettopp endret det.",
        "Hei! Jeg har ikke mottatt ordre {order} ennå. Den skulle komme på tirsdag.",
        "Hei, fakturaen for denne måneden ser høyere ut enn vanlig. Kan dere sjekke den?",
        "God morgen. Vi ønsker å utvide abonnementet vårt fra 5 til 12 brukere. Hvordan gjør vi det?",
        "Hei, produktet jeg bestilte ({product}) kom i ødelagt stand. Kan jeg returnere det?",
        "Integrasjonen mot nettbutikken har sluttet å synkronisere ordrer siden i går. "
        "Vi får feilkode 401 i loggen.",
        "Hei, kan dere sende meg et pristilbud på 20 lisenser av {product}?",
        "Jeg har ikke fått e-posten for å tilbakestille passordet. Har sjekket søppelposten også.",
        "Når får jeg pengene tilbake? Jeg sendte pakken i retur for to uker siden.",
        "Hei, jeg skriver på vegne av {company}. Vi trenger en kopi av faktura 2024-1187 "
        "med ny fakturaadresse.",
    ),
    customer_followups=(
        "Ordrenummeret er {order}.",
        "Ja, det har jeg allerede prøvd, men det hjalp ikke.",
        "Jeg bruker Chrome på Windows 11, hvis det har noe å si.",
        "Ok, takk. Men hvor lang tid tar det vanligvis?",
        "Feilmeldingen sier «Ugyldig API-nøkkel».",
        "Kan du sende det på e-post også?",
        "Det gjelder {company}, organisasjonsnummeret skal ligge på kontoen.",
        "Beklager, et spørsmål til: er prisen inkludert mva.?",
        "Vi betalte den fakturaen den 3., så den burde være registrert nå.",
        "Må jeg skrive ut returetiketten selv?",
    ),
    customer_thanks=(
        "Tusen takk, nå fungerer det!",
        "Supert, takk for hjelpen.",
        "Perfekt, takk {agent}!",
        "Takk, jeg følger med på e-posten.",
        "Flott, det var alt jeg lurte på. Ha en fin dag!",
        "Ok, takk. Jeg prøver igjen i morgen og tar kontakt hvis det fortsatt ikke virker.",
        "Takk skal du ha, {agent}, det var veldig nyttig.",
        "Det var alt for nå. Takk for rask respons!",
        "Takk, jeg sender tilbudet videre til sjefen min.",
    ),
    agent_welcome=(
        "Hei {customer}, du snakker med {agent}. Hva kan jeg hjelpe deg med i dag?",
        "Hei, og takk for at du kontakter oss!",
        "Hei! Jeg har lest meldingen din, gi meg et øyeblikk så ser jeg på det.",
        "God morgen {customer}, takk for at du ventet. Jeg skal se på kontoen din.",
        "Hei, det er {agent} fra kundeservice. Hva kan jeg gjøre for deg?",
        "Takk for tålmodigheten. Jeg tar over chatten nå.",
        "Hei! Beklager ventetiden, det er travelt i dag. Hvordan kan jeg hjelpe?",
        "Hei {customer}, jeg ser at du har snakket med chatboten vår. Jeg tar det herfra.",
        "God ettermiddag! La meg bare hente opp opplysningene dine.",
    ),
    agent_replies=(
        "Kan du gi meg ordrenummeret ditt?",
        "Jeg ser at ordre {order} ble sendt fra lageret vårt i går. "
        "Den skal være hos deg innen 1-2 virkedager.",
        "Jeg har nettopp sendt deg en ny lenke for å tilbakestille passordet. Den er gyldig i 30 minutter.",
        "Takk, {customer}. Jeg sjekker dette med fakturaavdelingen nå, det tar bare et minutt.",
        "Prisforskjellen skyldes at årsrabatten gikk ut forrige måned. "
        "Jeg kan legge inn en ny rabatt hvis dere fornyer for ett år til.",
        "Kan du prøve å tømme hurtigbufferen i nettleseren og logge inn på nytt?",
        "Det ser ut som API-nøkkelen til integrasjonen ble generert på nytt på mandag. "
        "Dere må lime inn den nye nøkkelen i innstillingene til nettbutikken.",
        "Jeg har registrert returen. Du får en returetikett på e-post innen en time.",
        "Jeg har oppdatert abonnementet til 12 brukere. Endringen vises på neste faktura.",
        "Jeg lager et tilbud og sender det i dag. Skal det adresseres til {company}?",
    ),
    agent_closings=(
        "Bare hyggelig! Er det noe annet jeg kan hjelpe deg med?",
        "Så bra at det løste seg. Ha en fin dag, {customer}!",
        "Takk for praten, {customer}, og ha det bra!",
        "Hvis du lurer på noe mer, er det bare å starte en ny chat. Ha det!",
        "Ha en riktig god helg!",
        "Da avslutter jeg chatten her. Du får en kopi av samtalen på e-post.",
        "Bare ta kontakt igjen hvis du har flere spørsmål. Med vennlig hilsen {agent}",
        "Takk for at du er kunde hos oss. Ha en god dag videre!",
        "Jeg lukker saken nå. Ha det fint!",
    ),
    bot_greetings=(
        "Hei! Jeg er {bot}, den digitale assistenten. Hva kan jeg hjelpe deg med?",
        "Velkommen til kundeservice! Beskriv gjerne spørsmålet ditt med noen få ord.",
        "Hei! Spør meg om hva som helst, eller skriv «rådgiver» for å snakke med et menneske.",
        "Hei, du chatter med {bot}. Velg et tema nedenfor eller skriv spørsmålet ditt.",
        "Velkommen! Kundeservice er tilgjengelig 08.00-16.00 på hverdager. "
        "I mellomtiden gjør jeg mitt beste for å hjelpe.",
        "Hei! Gjelder det en ordre, en faktura eller kontoen din?",
        "Hei og velkommen. Jeg er en automatisk assistent - hva lurer du på?",
        "Hei! Jeg er {bot}. Ikke del passord eller kortnummer i denne chatten.",
        "Velkommen tilbake, {customer}! Hva kan jeg hjelpe deg med i dag?",
    ),
    bot_replies=(
        "Du kan tilbakestille passordet fra innloggingssiden ved å klikke på «Glemt passord».",
        "Jeg fant en artikkel som kanskje kan hjelpe: «Slik oppdaterer du fakturainformasjonen».",
        "For å spore leveransen, skriv inn ordrenummeret ditt.",
        "Ordre {order} er på vei. Forventet levering er innen 2 virkedager.",
        "Retur er gratis innen 30 dager etter levering. Vil du at jeg starter en retur?",
        "Beklager, det forsto jeg ikke helt. Kan du formulere spørsmålet på en annen måte?",
        "Du kan endre antall brukere under Innstillinger > Abonnement.",
        "Fakturaer sendes på e-post den 1. hver måned. Du kan også laste dem ned fra Min side.",
        "Fikk du svar på spørsmålet ditt? Svar ja eller nei.",
        "{product} er på lager og sendes vanligvis innen én virkedag.",
    ),
    bot_handoffs=(
        "Jeg setter deg over til en av våre rådgivere, {customer}. Vent litt.",
        "Det spørsmålet bør en kollega svare på. Jeg overfører deg nå …",
        "Takk, {customer}. Du står nå i kø, og neste ledige rådgiver svarer deg her.",
        "Jeg fant ikke noe svar på det, så jeg kobler deg til en rådgiver.",
        "Et øyeblikk, jeg finner noen fra fakturaavdelingen til deg.",
        "Du er nummer 3 i køen. Beregnet ventetid er ca. 4 minutter.",
        "Jeg kobler deg til et menneske nå. Rådgiveren ser alt vi har skrevet så langt.",
        "Dette trenger en person å se på. Jeg sender deg videre til kundeservice.",
        "Ok! Jeg har sendt spørsmålet ditt videre. En rådgiver svarer deg her i chatten.",
    ),
    transfer_notes=(
        "Jeg overfører deg til en kollega på fakturaavdelingen som kan hjelpe deg med fakturaen.",
        "Dette håndteres best av det tekniske teamet vårt. Jeg overfører chatten nå, ikke lukk vinduet.",
        "Jeg setter deg over til kollegaen min som jobber med integrasjoner. De tar over om et øyeblikk.",
        "Jeg overfører deg til salg, så de kan lage et tilbud til {company}.",
        "Et øyeblikk, jeg overfører chatten til en kollega som har tilgang til lagersystemet.",
        "Jeg sender dette videre til returavdelingen. De ser hele samtalen, så du trenger ikke gjenta noe.",
        "Kollegaen min kan mer om {product} enn meg, så jeg overfører deg nå.",
        "Jeg flytter chatten til andrelinjesupport. Takk for tålmodigheten, {customer}!",
        "Jeg må sette deg over til regnskap - det er bare de som kan utstede en kreditnota.",
    ),
    offline_form_notes=(
        "Alle rådgiverne våre er opptatt eller frakoblet akkurat nå. "
        "Legg igjen en melding, så svarer vi deg på e-post.",
        "Chatten er stengt nå. Åpningstidene er mandag til fredag 08.00-16.00.",
        "Ingen rådgivere er tilgjengelige. Fyll ut skjemaet nedenfor, så tar vi kontakt innen én virkedag.",
        "Beklager, vi er ikke pålogget. Skriv inn navn, e-postadresse og spørsmål, "
        "så kontakter vi deg så snart som mulig.",
        "Takk for meldingen, {customer}! Vi svarer til e-postadressen din innen 24 timer.",
        "Dessverre er ingen tilgjengelige for chat akkurat nå. Vil du legge igjen en melding?",
        "Meldingen din er sendt. Vi har opprettet en sak, og du får en bekreftelse på e-post.",
        "Vi er ikke pålogget nå, {customer}. Legg igjen spørsmålet ditt her, "
        "så svarer en rådgiver på e-post.",
        "Køen er full for øyeblikket. Legg igjen kontaktinformasjonen din, så ringer vi deg opp.",
    ),
    topics=("Kundeservice", "Salg", "Faktura", "Teknisk støtte", "Retur"),
    customer_human_requests=(
        "Kan jeg få snakke med et menneske?",
        "Jeg vil gjerne snakke med et menneske, ikke en bot.",
    ),
)

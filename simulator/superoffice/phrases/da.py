"""The Danish phrasebook: support-chat texts for simulated sessions in language ``da``."""

from __future__ import annotations

from simulator.superoffice.phrases.book import PhraseBook

__all__ = ["DA"]

DA = PhraseBook(
    language="da",
    customer_openers=(
        "Hej, jeg kan ikke logge ind. Der står, at adgangskoden er forkert, men jeg har lige ændret den.",
        "Hej! Jeg har ikke modtaget ordre {order} endnu. Den skulle være kommet i tirsdags.",
        "Hej, fakturaen for denne måned ser højere ud end normalt. Kan I kigge på den?",
        "Godmorgen. Vi vil gerne udvide vores abonnement fra 5 til 12 brugere. Hvordan gør vi det?",
        "Hej, produktet jeg bestilte ({product}), kom i stykker. Kan jeg returnere det?",
        "Integrationen til webshoppen er holdt op med at synkronisere ordrer siden i går eftermiddags. "
        "Vi får fejl 401 i loggen.",
        "Hej, kan I sende mig et tilbud på 20 licenser til {product}?",
        "Jeg har ikke fået nogen mail om nulstilling af adgangskode. Jeg har også tjekket spamfilteret.",
        "Hvornår får jeg mine penge tilbage? Jeg sendte pakken retur for to uger siden.",
        "Hej, jeg skriver på vegne af {company}. Vi skal bruge en kopi af faktura 2024-1187 "
        "med vores nye faktureringsadresse.",
    ),
    customer_followups=(
        "Ordrenummeret er {order}.",
        "Ja, det har jeg allerede prøvet, men det hjalp ikke.",
        "Jeg bruger Chrome på Windows 11, hvis det betyder noget.",
        "Okay, tak. Men hvor lang tid tager det normalt?",
        "Fejlmeddelelsen siger »Ugyldig API-nøgle«.",
        "Kan du også sende det til mig på mail?",
        "Det drejer sig om {company}, CVR-nummeret burde stå på kontoen.",
        "Undskyld, et spørgsmål mere: er moms inkluderet i den pris?",
        "Vi betalte den faktura den 3., så den burde være registreret nu.",
        "Skal jeg selv printe returlabelen?",
    ),
    customer_thanks=(
        "Mange tak, nu virker det!",
        "Super, tak for hjælpen.",
        "Perfekt, tak {agent}!",
        "Tak, jeg holder øje med min mail.",
        "Fint, det var alt, jeg ville vide. Hav en god dag!",
        "Okay, tak. Jeg prøver igen i morgen og vender tilbage, hvis det stadig ikke virker.",
        "Tusind tak, {agent}, det var en stor hjælp.",
        "Det var alt for nu. Tak for det hurtige svar!",
        "Tak, jeg sender tilbuddet videre til min chef.",
    ),
    agent_welcome=(
        "Hej {customer}, du skriver med {agent}. Hvad kan jeg hjælpe dig med i dag?",
        "Hej, og tak fordi du kontakter os!",
        "Hej! Jeg har læst din besked, giv mig et øjeblik, så kigger jeg på det.",
        "Godmorgen {customer}, tak fordi du ventede. Jeg kigger lige på din konto.",
        "Hej, det er {agent} fra kundeservice. Hvad kan jeg gøre for dig?",
        "Tak for din tålmodighed. Jeg tager over nu.",
        "Hej! Undskyld ventetiden, der er travlt i dag. Hvordan kan jeg hjælpe?",
        "Hej {customer}, jeg kan se, at du har skrevet med vores chatbot. Jeg tager den herfra.",
        "God eftermiddag! Lad mig lige finde dine oplysninger frem.",
    ),
    agent_replies=(
        "Kan du give mig dit ordrenummer?",
        "Jeg kan se, at ordre {order} blev sendt fra vores lager i går. "
        "Den burde være hos dig inden for 1-2 hverdage.",
        "Jeg har lige sendt dig et nyt link til at nulstille adgangskoden. Det er gyldigt i 30 minutter.",
        "Tak, {customer}. Jeg tjekker det med vores bogholderi nu, det tager kun et minut.",
        "Prisforskellen skyldes, at jeres årsrabat udløb sidste måned. "
        "Jeg kan give en ny rabat, hvis I forlænger med et år mere.",
        "Kan du prøve at rydde browserens cache og logge ind igen?",
        "Det ser ud til, at API-nøglen til jeres integration blev genereret på ny i mandags. "
        "I skal indsætte den nye nøgle i webshoppens indstillinger.",
        "Jeg har registreret returneringen. Du modtager en returlabel på mail inden for en time.",
        "Jeg har opdateret abonnementet til 12 brugere. Ændringen kan ses på næste faktura.",
        "Jeg udarbejder et tilbud og sender det i dag. Skal det stiles til {company}?",
    ),
    agent_closings=(
        "Det var så lidt! Er der andet, jeg kan hjælpe med?",
        "Dejligt, at det blev løst. Hav en god dag, {customer}!",
        "Tak for snakken, {customer}, og hav det godt!",
        "Hvis du har flere spørgsmål, er du velkommen til at starte en ny chat. Hej hej!",
        "Rigtig god weekend!",
        "Så afslutter jeg chatten her. Du får en kopi af samtalen på mail.",
        "Du er altid velkommen til at kontakte os igen. Venlig hilsen {agent}",
        "Tak fordi du er kunde hos os. Fortsat god dag!",
        "Jeg lukker sagen nu. Tak for i dag!",
    ),
    bot_greetings=(
        "Hej! Jeg er {bot}, den digitale assistent. Hvad kan jeg hjælpe dig med?",
        "Velkommen til kundeservice! Beskriv gerne dit spørgsmål med få ord.",
        "Hej! Spørg mig om hvad som helst, eller skriv »medarbejder« for at tale med et menneske.",
        "Hej, du skriver med {bot}. Vælg et emne herunder, eller skriv dit spørgsmål.",
        "Velkommen! Kundeservice har åbent kl. 8.00-16.00 på hverdage. "
        "Indtil da gør jeg mit bedste for at hjælpe.",
        "Hej! Drejer det sig om en ordre, en faktura eller din konto?",
        "Hej og velkommen. Jeg er en automatisk assistent - hvad vil du gerne vide?",
        "Hej! Jeg er {bot}. Del venligst ikke adgangskoder eller kortnumre i denne chat.",
        "Velkommen tilbage, {customer}! Hvad kan jeg hjælpe med i dag?",
    ),
    bot_replies=(
        "Du kan nulstille din adgangskode fra login-siden ved at klikke på »Glemt adgangskode«.",
        "Jeg fandt en artikel, der måske kan hjælpe: »Sådan opdaterer du dine faktureringsoplysninger«.",
        "Indtast dit ordrenummer for at følge din levering.",
        "Ordre {order} er på vej. Forventet levering er inden for 2 hverdage.",
        "Returnering er gratis inden for 30 dage efter levering. Vil du have, at jeg starter en returnering?",
        "Undskyld, det forstod jeg ikke helt. Kan du formulere spørgsmålet på en anden måde?",
        "Du kan ændre antallet af brugere under Indstillinger > Abonnement.",
        "Fakturaer sendes på mail den 1. i hver måned. Du kan også downloade dem under Min side.",
        "Fik du svar på dit spørgsmål? Svar ja eller nej.",
        "{product} er på lager og sendes normalt inden for én hverdag.",
    ),
    bot_handoffs=(
        "Jeg sætter dig i forbindelse med en af vores medarbejdere, {customer}. Vent et øjeblik.",
        "Det spørgsmål er bedre til en kollega. Jeg sender dig videre nu …",
        "Tak, {customer}. Du er nu i kø, og den næste ledige medarbejder svarer dig her.",
        "Jeg kunne ikke finde et svar på det, så jeg forbinder dig med en medarbejder.",
        "Et øjeblik, jeg finder en fra bogholderiet til dig.",
        "Du er nummer 3 i køen. Forventet ventetid er ca. 4 minutter.",
        "Jeg forbinder dig med et menneske nu. Medarbejderen kan se alt, hvad vi har skrevet indtil nu.",
        "Det her skal en person kigge på. Jeg sender dig videre til kundeservice.",
        "Okay! Jeg har sendt dit spørgsmål videre. En medarbejder svarer dig her i chatten.",
    ),
    transfer_notes=(
        "Jeg overfører dig til en kollega i bogholderiet, som kan hjælpe dig med fakturaen.",
        "Det her håndteres bedst af vores tekniske team. Jeg overfører chatten nu, så luk ikke vinduet.",
        "Jeg sender dig videre til min kollega, der arbejder med integrationer. "
        "Vedkommende er klar om et øjeblik.",
        "Jeg overfører dig til salg, så de kan lave et tilbud til {company}.",
        "Et øjeblik, jeg overfører chatten til en kollega med adgang til lagersystemet.",
        "Jeg giver det videre til vores returafdeling. De kan se hele samtalen, "
        "så du behøver ikke gentage noget.",
        "Min kollega ved mere om {product} end jeg, så jeg overfører dig nu.",
        "Jeg flytter chatten til vores 2nd level-support. Tak for din tålmodighed, {customer}!",
        "Jeg er nødt til at overføre dig til regnskab - det er kun dem, der kan udstede en kreditnota.",
    ),
    offline_form_notes=(
        "Alle vores medarbejdere er optaget eller offline lige nu. Skriv en besked, så svarer vi på mail.",
        "Chatten er lukket lige nu. Vores åbningstider er mandag-fredag kl. 8.00-16.00.",
        "Der er ingen ledige medarbejdere. Udfyld formularen herunder, "
        "så vender vi tilbage inden for én hverdag.",
        "Beklager, vi er offline. Indtast navn, e-mailadresse og dit spørgsmål, "
        "så kontakter vi dig hurtigst muligt.",
        "Tak for din besked, {customer}! Vi svarer til din e-mailadresse inden for 24 timer.",
        "Desværre er der ingen tilgængelige til chat lige nu. Vil du lægge en besked?",
        "Din besked er sendt. Der er oprettet en sag, og du modtager en bekræftelse på mail.",
        "Vi er offline lige nu, {customer}. Skriv dit spørgsmål her, så svarer en medarbejder på mail.",
        "Køen er fuld i øjeblikket. Efterlad dine kontaktoplysninger, så ringer vi dig op.",
    ),
    topics=("Kundeservice", "Salg", "Fakturering", "Teknisk support", "Returnering"),
    customer_human_requests=(
        "Kan jeg tale med et menneske?",
        "Jeg vil gerne tale med et menneske, ikke en bot.",
    ),
)

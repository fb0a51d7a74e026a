"""Realistic customer-support chat texts for simulated SuperOffice chat sessions.

SuperOffice's ``chatsession.message`` webhooks carry no message text: the receiver only learns
that a message was posted and has to fetch the text from the SuperOffice REST API. To make the
simulation believable end to end, the simulator keeps a plausible text with every simulated
message of a session, so a mock REST API can later serve it when the receiver asks.

This module holds only that data - phrasebooks in the languages of SuperOffice's markets - and
tiny pure helpers. It does no I/O and has no randomness of its own: the caller picks texts with
its own seeded random generator and fills the placeholders with ``str.format_map``.

Placeholders (see :data:`PLACEHOLDERS`): ``{customer}`` (customer's first name), ``{agent}``
(agent's first name), ``{order}`` (an order number), ``{product}`` (a product name),
``{company}`` (the customer's company) and ``{bot}`` (the chatbot's name). No other braces
appear in any text.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HUMAN_WORDS", "PHRASEBOOKS", "PLACEHOLDERS", "PhraseBook", "phrasebook_for"]

PLACEHOLDERS: frozenset[str] = frozenset({"customer", "agent", "order", "product", "company", "bot"})


@dataclass(frozen=True, slots=True)
class PhraseBook:
    """Support-chat texts for one language."""

    language: str  # "en", "nb", "sv", "da", "de", "nl"
    customer_openers: tuple[str, ...]  # customer's first message stating a problem/question
    customer_followups: tuple[str, ...]  # later customer messages (details, answers, questions)
    customer_thanks: tuple[str, ...]  # customer's last message before the end
    agent_welcome: tuple[str, ...]  # agent's first message after picking up the chat
    agent_replies: tuple[str, ...]  # agent's mid-conversation answers/questions
    agent_closings: tuple[str, ...]  # agent's goodbye
    bot_greetings: tuple[str, ...]  # chatbot's greeting when the session starts
    bot_replies: tuple[str, ...]  # chatbot's answers/suggestions
    bot_handoffs: tuple[str, ...]  # chatbot saying it passes the chat to a human
    transfer_notes: tuple[str, ...]  # agent saying they transfer to a colleague
    offline_form_notes: tuple[str, ...]  # system/bot text shown when no agent is available
    topics: tuple[str, ...]  # names of chat topics/channels, e.g. "Support", "Sales", "Billing"
    #: customer asking to talk to a person (the closed loop: an external bot should hand off);
    #: every text holds the word of HUMAN_WORDS for its language, so a bot can recognise it.
    customer_human_requests: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------
# English
# --------------------------------------------------------------------------------------------

_EN = PhraseBook(
    language="en",
    customer_openers=(
        "Hi, I can't log in to my account. It says my password is wrong, but I just reset it.",
        "Hello, I haven't received order {order} yet. It was supposed to arrive on Tuesday.",
        "Hi! Quick question about the invoice we got this month - the amount looks higher than usual.",
        "Good morning. We would like to upgrade our subscription from 5 to 12 users. How do we do that?",
        "Hey, the {product} I ordered arrived damaged. Can I return it?",
        "Hello, our integration with the webshop stopped syncing orders yesterday afternoon. "
        "We get a 401 error in the log.",
        "Hi, could you send me a price quote for 20 licences of {product}?",
        "I never got the password reset email. I've checked my spam folder too.",
        "Hi there, does {product} work with Outlook on a Mac?",
        "Hello, I'm contacting you on behalf of {company}. We need a copy of invoice 2024-1187 "
        "with our new billing address.",
        "When will I get my refund? I sent the package back two weeks ago.",
        "Hi, how do I cancel our subscription? We're moving to a different system at the end of the month.",
        "Our users are being logged out every few minutes since this morning. Is there a known issue?",
        "Can I still change the delivery address for order {order}? I don't think it has shipped yet.",
    ),
    customer_followups=(
        "The order number is {order}.",
        "Yes, I tried that already, but it didn't help.",
        "I used my work email address.",
        "Okay, thanks. But how long does that usually take?",
        "I'm using Chrome on Windows 11, if that matters.",
        "The error message says 'Invalid API key'.",
        "Could you send that to me by email as well?",
        "It's for {company}, our organisation number should be on the account.",
        "Sorry, one more question: is VAT included in that price?",
        "Just a sec, I'll check.",
        "Yes, it's the blue version of {product}, size M.",
        "That worked for the first user, but the others still can't log in.",
        "Do I need to print the return label myself?",
        "We paid that invoice on the 3rd, so it should be registered by now.",
    ),
    customer_thanks=(
        "Thank you so much, that solved it!",
        "Great, thanks for your help.",
        "Perfect, thanks {agent}!",
        "Thanks, I'll keep an eye out for the email.",
        "Brilliant, that's all I needed. Have a nice day!",
        "OK, thank you. I'll try again tomorrow and get back to you if it's still not working.",
        "Thanks a lot, {agent}, you've been very helpful.",
        "Cheers, much appreciated.",
        "That's everything for now. Thank you for the quick response.",
        "Thank you, I'll forward the quote to my manager.",
        "Super, thanks! Bye.",
        "Thanks for sorting out the invoice so quickly, {agent}.",
    ),
    agent_welcome=(
        "Hi {customer}, my name is {agent}. How can I help you today?",
        "Hello and thanks for contacting us! You're chatting with {agent}.",
        "Hi! I've read your message, give me a moment to look into it.",
        "Good morning {customer}, thanks for waiting. Let me take a look at your account.",
        "Hi there, {agent} from customer support here. What can I do for you?",
        "Thank you for your patience. I'm picking up your chat now.",
        "Hello {customer}! Sorry for the wait, we're a bit busy today. How can I help?",
        "Hi, thanks for reaching out. I'll help you with this.",
        "Welcome! I'm {agent} and I'll be handling your question.",
        "Hello, and thank you for contacting customer service. Could you tell me a bit more about the issue?",
        "Hi {customer}, I can see you've been talking to our assistant. I'll take it from here.",
        "Good afternoon! Let me just pull up your details.",
    ),
    agent_replies=(
        "Could you give me your order number, please?",
        "I can see that order {order} left our warehouse yesterday. "
        "It should be with you within 1-2 business days.",
        "I've just sent you a new password reset link. It's valid for 30 minutes.",
        "Thanks, {customer}. I'm checking this with our billing team now, it will only take a minute.",
        "The price difference is because your annual discount expired last month. "
        "I can apply a new one if you renew for another year.",
        "Could you try clearing your browser cache and logging in again?",
        "It looks like the API key for your integration was regenerated on Monday. "
        "You'll need to paste the new key into the webshop settings.",
        "Yes, {product} works with Outlook on both Windows and Mac.",
        "I've registered the return. You'll receive a return label by email within the hour.",
        "Refunds are normally processed within 5-7 business days after we receive the item.",
        "I've updated the subscription to 12 users. The change will show on your next invoice.",
        "Which email address are you using to log in?",
        "I'll prepare a quote and send it to you today. Should it be addressed to {company}?",
        "Unfortunately I can't change the address anymore, the parcel has already been handed over "
        "to the carrier.",
    ),
    agent_closings=(
        "You're welcome! Is there anything else I can help you with?",
        "Glad I could help. Have a great day, {customer}!",
        "Thanks for chatting with us, {customer}. Take care!",
        "If anything else comes up, just start a new chat. Goodbye!",
        "Happy to help! I'll close this chat now.",
        "Have a nice weekend!",
        "Thank you for your patience today, {customer}. Goodbye!",
        "Great, then I'll end the chat here. You'll get a copy of the conversation by email.",
        "My pleasure. Best regards, {agent}",
        "Perfect. Don't hesitate to get in touch again if you have more questions.",
        "All the best, and thank you for being our customer.",
        "I'm closing the case now. Have a good one!",
    ),
    bot_greetings=(
        "Hi! I'm {bot}, the virtual assistant. What can I help you with today?",
        "Welcome to our customer service! Please describe your question in a few words.",
        "Hello 👋 I'm {bot}. I can help with orders, invoices and login problems.",
        "Hi there! Ask me anything, or type 'agent' to talk to a person.",
        "Good to see you! What brings you here today?",
        "Hello, you're chatting with {bot}. Choose a topic below or type your question.",
        "Welcome! Our agents are available 08:00-16:00 on weekdays. "
        "In the meantime, I'll do my best to help.",
        "Hi! Before I connect you, could you tell me what your question is about?",
        "Hello and welcome. I'm an automated assistant - how can I help?",
        "Hi! Need help with an order, an invoice or your account?",
        "Welcome back, {customer}! How can I help you today?",
        "Hello! I'm {bot}. Please don't share passwords or card numbers in this chat.",
    ),
    bot_replies=(
        "You can reset your password from the login page by clicking 'Forgot password'.",
        "I found an article that may help: 'How to update your billing details'.",
        "To track your delivery, please enter your order number.",
        "Order {order} is on its way. Expected delivery is within 2 business days.",
        "Returns are free within 30 days of delivery. Would you like me to start a return?",
        "Sorry, I didn't quite understand that. Could you rephrase your question?",
        "You can change the number of users under Settings > Subscription.",
        "Invoices are sent by email on the 1st of every month. "
        "You can also download them from your account page.",
        "Did that answer your question? Please reply yes or no.",
        "For integration errors, "
        "please check that your API key is still valid under Settings > Integrations.",
        "I can help you request a price quote. How many licences do you need?",
        "Our support team is available Monday to Friday, 08:00-16:00.",
        "{product} is in stock and usually ships within one business day.",
    ),
    bot_handoffs=(
        "I'll connect you with one of our agents, {customer}. Please wait a moment.",
        "That's a question for a human colleague. Transferring you now...",
        "Let me pass you on to our support team. An agent will be with you shortly.",
        "I'm handing the chat over to a person who can look at your account.",
        "Thanks, {customer}. You're now in the queue, and the next available agent will reply.",
        "I couldn't find an answer to that, so I'm connecting you with an agent.",
        "One moment, I'm finding someone from our billing team for you.",
        "You're number 3 in the queue. Estimated waiting time is about 4 minutes.",
        "Okay! I've sent your question to our agents. They'll pick it up here in the chat.",
        "Connecting you to a human agent now. Everything we've discussed will be visible to them.",
        "I'll get a colleague to help you with that. Hang on, {customer}!",
        "This one needs a human touch. Transferring you to customer service.",
    ),
    transfer_notes=(
        "I'll transfer you to a colleague in our billing department who can help you with the invoice.",
        "This is best handled by our technical team. I'm transferring the chat now, please stay connected.",
        "I'm passing you on to my colleague who handles integrations. They'll be with you in a moment.",
        "Let me transfer you to Sales so they can prepare the quote for {company}.",
        "One moment, I'm transferring the chat to a colleague who has access to the warehouse system.",
        "I'll hand this over to our returns team. They can see the whole conversation, "
        "so you won't need to repeat anything.",
        "My colleague knows more about {product} than I do, so I'm transferring you now.",
        "I'm moving the chat to our second-line support. Thanks for your patience, {customer}.",
        "I need to transfer you to the accounts team - they're the only ones who can issue a credit note.",
        "I'll put you through to our Nordic team, who can help you in your own language.",
        "Transferring you to a specialist now. Have a good day, {customer}!",
        "A colleague from our subscription team will take over from here.",
    ),
    offline_form_notes=(
        "All our agents are busy or offline at the moment. Leave your message and we'll reply by email.",
        "Our chat is closed right now. Opening hours are Monday to Friday, 08:00-16:00.",
        "No agents are available. Please fill in the form below and we'll get back to you "
        "within one business day.",
        "Sorry, we're offline. Enter your name, email address and question, "
        "and we'll contact you as soon as possible.",
        "Thanks for your message, {customer}! We'll reply to your email address within 24 hours.",
        "Unfortunately no one is available to chat right now. Would you like to leave a message?",
        "We're closed for the holidays. Leave a message and we'll get back to you when we reopen.",
        "Your message has been sent. A support ticket has been created "
        "and you'll receive a confirmation by email.",
        "The chat queue is full at the moment. Please leave your contact details and we'll call you back.",
        "Outside opening hours. For urgent matters, please call our customer service line.",
        "We're currently offline, {customer}. Leave your question here and an agent will answer it by email.",
        "Nobody is online right now. Please describe your issue as precisely as possible "
        "so we can help you quickly.",
    ),
    topics=("Support", "Sales", "Billing", "Technical support", "Returns", "Customer service"),
    customer_human_requests=(
        "Can I talk to a human, please?",
        "I would like to speak to a human, not a bot.",
        "This is not helping. Can you connect me to a human agent?",
    ),
)

# --------------------------------------------------------------------------------------------
# Norwegian (Bokmål)
# --------------------------------------------------------------------------------------------

_NB = PhraseBook(
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

# --------------------------------------------------------------------------------------------
# Swedish
# --------------------------------------------------------------------------------------------

_SV = PhraseBook(
    language="sv",
    customer_openers=(
        "Hej, jag kan inte logga in. Det står att lösenordet är fel, men jag har precis bytt det.",
        "Hej! Jag har inte fått order {order} än. Den skulle ha kommit i tisdags.",
        "Hej, fakturan för den här månaden verkar högre än vanligt. Kan ni kolla på den?",
        "God morgon. Vi vill utöka vårt abonnemang från 5 till 12 användare. Hur gör vi det?",
        "Hej, produkten jag beställde ({product}) kom trasig. Kan jag returnera den?",
        "Integrationen mot webbutiken har slutat synka ordrar sedan i går eftermiddag. "
        "Vi får fel 401 i loggen.",
        "Hej, kan ni skicka en offert på 20 licenser av {product}?",
        "Jag har inte fått något mejl för att återställa lösenordet. Har kollat skräpposten också.",
        "När får jag tillbaka pengarna? Jag skickade tillbaka paketet för två veckor sedan.",
        "Hej, jag skriver för {company}. Vi behöver en kopia av faktura 2024-1187 med vår nya fakturaadress.",
    ),
    customer_followups=(
        "Ordernumret är {order}.",
        "Ja, det har jag redan testat, men det hjälpte inte.",
        "Jag använder Chrome på Windows 11, om det spelar någon roll.",
        "Okej, tack. Men hur lång tid brukar det ta?",
        "Felmeddelandet säger ”Ogiltig API-nyckel”.",
        "Kan du skicka det till mig på mejl också?",
        "Det gäller {company}, organisationsnumret ska finnas på kontot.",
        "Förlåt, en fråga till: ingår moms i det priset?",
        "Vi betalade den fakturan den 3:e, så den borde vara registrerad nu.",
        "Måste jag skriva ut returetiketten själv?",
    ),
    customer_thanks=(
        "Tack så mycket, nu fungerar det!",
        "Toppen, tack för hjälpen.",
        "Perfekt, tack {agent}!",
        "Tack, jag håller utkik efter mejlet.",
        "Bra, det var allt jag undrade. Ha en fin dag!",
        "Okej, tack. Jag testar igen i morgon och hör av mig om det fortfarande inte fungerar.",
        "Tusen tack, {agent}, det var jättebra hjälp.",
        "Det var allt för nu. Tack för det snabba svaret!",
        "Tack, jag skickar offerten vidare till min chef.",
    ),
    agent_welcome=(
        "Hej {customer}, du chattar med {agent}. Vad kan jag hjälpa dig med i dag?",
        "Hej och tack för att du kontaktar oss!",
        "Hej! Jag har läst ditt meddelande, ge mig en liten stund så tittar jag på det.",
        "God morgon {customer}, tack för att du väntade. Jag ska titta på ditt konto.",
        "Hej, det är {agent} på kundtjänst. Vad kan jag göra för dig?",
        "Tack för ditt tålamod. Jag tar över chatten nu.",
        "Hej! Ursäkta väntetiden, det är mycket i dag. Hur kan jag hjälpa dig?",
        "Hej {customer}, jag ser att du har pratat med vår chattbot. Jag tar över härifrån.",
        "God eftermiddag! Låt mig bara ta fram dina uppgifter.",
    ),
    agent_replies=(
        "Kan du ge mig ditt ordernummer?",
        "Jag ser att order {order} skickades från vårt lager i går. "
        "Den bör vara hos dig inom 1-2 arbetsdagar.",
        "Jag har precis skickat en ny länk för att återställa lösenordet. Den gäller i 30 minuter.",
        "Tack, {customer}. Jag kollar det här med ekonomiavdelningen nu, det tar bara en minut.",
        "Prisskillnaden beror på att årsrabatten gick ut förra månaden. "
        "Jag kan lägga in en ny rabatt om ni förlänger ett år till.",
        "Kan du testa att rensa webbläsarens cache och logga in igen?",
        "Det ser ut som att API-nyckeln för er integration genererades om i måndags. "
        "Ni behöver klistra in den nya nyckeln i webbutikens inställningar.",
        "Jag har registrerat returen. Du får en returetikett via mejl inom en timme.",
        "Jag har uppdaterat abonnemanget till 12 användare. Ändringen syns på nästa faktura.",
        "Jag tar fram en offert och skickar den i dag. Ska den ställas till {company}?",
    ),
    agent_closings=(
        "Varsågod! Är det något mer jag kan hjälpa dig med?",
        "Vad bra att det löste sig. Ha en fin dag, {customer}!",
        "Tack för att du chattade med oss, {customer}. Ha det bra!",
        "Om du undrar något mer är det bara att starta en ny chatt. Hej då!",
        "Trevlig helg!",
        "Då avslutar jag chatten här. Du får en kopia av konversationen via mejl.",
        "Hör gärna av dig igen om du har fler frågor. Vänliga hälsningar, {agent}",
        "Tack för att du är kund hos oss. Ha en fortsatt trevlig dag!",
        "Jag stänger ärendet nu. Ha det gott!",
    ),
    bot_greetings=(
        "Hej! Jag är {bot}, den digitala assistenten. Vad kan jag hjälpa dig med?",
        "Välkommen till kundtjänst! Beskriv gärna din fråga med några ord.",
        "Hej! Fråga mig vad som helst, eller skriv ”handläggare” för att prata med en människa.",
        "Hej, du chattar med {bot}. Välj ett ämne nedan eller skriv din fråga.",
        "Välkommen! Kundtjänst har öppet 08.00-16.00 på vardagar. "
        "Under tiden gör jag mitt bästa för att hjälpa dig.",
        "Hej! Gäller det en order, en faktura eller ditt konto?",
        "Hej och välkommen. Jag är en automatisk assistent - vad undrar du över?",
        "Hej! Jag är {bot}. Dela inte lösenord eller kortnummer i den här chatten.",
        "Välkommen tillbaka, {customer}! Vad kan jag hjälpa dig med i dag?",
    ),
    bot_replies=(
        "Du kan återställa lösenordet från inloggningssidan genom att klicka på ”Glömt lösenord”.",
        "Jag hittade en artikel som kanske kan hjälpa: ”Så uppdaterar du dina faktureringsuppgifter”.",
        "Skriv in ditt ordernummer för att spåra leveransen.",
        "Order {order} är på väg. Beräknad leverans är inom 2 arbetsdagar.",
        "Retur är gratis inom 30 dagar efter leverans. Vill du att jag startar en retur?",
        "Förlåt, det förstod jag inte riktigt. Kan du formulera frågan på ett annat sätt?",
        "Du kan ändra antalet användare under Inställningar > Abonnemang.",
        "Fakturor skickas via mejl den 1:a varje månad. Du kan också ladda ner dem från Mina sidor.",
        "Fick du svar på din fråga? Svara ja eller nej.",
        "{product} finns i lager och skickas normalt inom en arbetsdag.",
    ),
    bot_handoffs=(
        "Jag kopplar dig till en av våra handläggare, {customer}. Vänta en liten stund.",
        "Den frågan passar bättre för en kollega. Jag kopplar dig vidare nu …",
        "Tack, {customer}. Du står nu i kö och nästa lediga handläggare svarar dig här.",
        "Jag hittade inget svar på det, så jag kopplar dig till en handläggare.",
        "Ett ögonblick, jag letar upp någon från ekonomiavdelningen åt dig.",
        "Du är nummer 3 i kön. Beräknad väntetid är cirka 4 minuter.",
        "Jag kopplar dig till en människa nu. Handläggaren ser allt vi har skrivit hittills.",
        "Det här behöver en person titta på. Jag skickar dig vidare till kundtjänst.",
        "Okej! Jag har skickat din fråga vidare. En handläggare svarar dig här i chatten.",
    ),
    transfer_notes=(
        "Jag kopplar dig till en kollega på ekonomiavdelningen som kan hjälpa dig med fakturan.",
        "Det här hanteras bäst av vårt tekniska team. Jag för över chatten nu, stäng inte fönstret.",
        "Jag kopplar dig till min kollega som jobbar med integrationer. Hen tar över om en liten stund.",
        "Jag för över dig till sälj, så att de kan ta fram en offert till {company}.",
        "Ett ögonblick, jag för över chatten till en kollega som har tillgång till lagersystemet.",
        "Jag lämnar över det här till returavdelningen. De ser hela konversationen, "
        "så du behöver inte upprepa något.",
        "Min kollega kan mer om {product} än jag, så jag kopplar dig vidare nu.",
        "Jag flyttar chatten till andra linjens support. Tack för ditt tålamod, {customer}!",
        "Jag behöver koppla dig till redovisning - det är bara de som kan utfärda en kreditfaktura.",
    ),
    offline_form_notes=(
        "Alla våra handläggare är upptagna eller offline just nu. "
        "Lämna ett meddelande så svarar vi via mejl.",
        "Chatten är stängd just nu. Våra öppettider är måndag-fredag 08.00-16.00.",
        "Ingen handläggare är tillgänglig. Fyll i formuläret nedan så återkommer vi inom en arbetsdag.",
        "Tyvärr är vi offline. Ange namn, "
        "e-postadress och din fråga så kontaktar vi dig så snart som möjligt.",
        "Tack för ditt meddelande, {customer}! Vi svarar till din e-postadress inom 24 timmar.",
        "Tyvärr finns ingen tillgänglig för chatt just nu. Vill du lämna ett meddelande?",
        "Ditt meddelande har skickats. Ett ärende har skapats och du får en bekräftelse via mejl.",
        "Vi är offline just nu, {customer}. Lämna din fråga här så svarar en handläggare via mejl.",
        "Kön är full för tillfället. Lämna dina kontaktuppgifter så ringer vi upp dig.",
    ),
    topics=("Kundtjänst", "Försäljning", "Fakturering", "Teknisk support", "Returer"),
    customer_human_requests=(
        "Kan jag få prata med en människa?",
        "Jag vill hellre prata med en människa än en bot.",
    ),
)

# --------------------------------------------------------------------------------------------
# Danish
# --------------------------------------------------------------------------------------------

_DA = PhraseBook(
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

# --------------------------------------------------------------------------------------------
# German
# --------------------------------------------------------------------------------------------

_DE = PhraseBook(
    language="de",
    customer_openers=(
        "Hallo, ich kann mich nicht anmelden. Angeblich ist mein Passwort falsch, "
        "obwohl ich es gerade erst zurückgesetzt habe.",
        "Guten Tag, meine Bestellung {order} ist noch nicht angekommen. "
        "Die Lieferung war für Dienstag angekündigt.",
        "Hallo, die Rechnung für diesen Monat ist deutlich höher als sonst. Können Sie das bitte prüfen?",
        "Guten Morgen. Wir möchten unser Abonnement von 5 auf 12 Benutzer erweitern. Wie gehen wir da vor?",
        "Hallo, das bestellte Produkt ({product}) kam beschädigt an. Kann ich es zurückschicken?",
        "Seit gestern Nachmittag synchronisiert unsere Webshop-Schnittstelle keine Bestellungen mehr. "
        "Im Log steht Fehler 401.",
        "Hallo, könnten Sie mir ein Angebot für 20 Lizenzen von {product} schicken?",
        "Ich habe keine E-Mail zum Zurücksetzen des Passworts bekommen. Im Spam-Ordner ist auch nichts.",
        "Wann bekomme ich mein Geld zurück? Ich habe das Paket vor zwei Wochen zurückgeschickt.",
        "Guten Tag, ich melde mich für {company}. Wir benötigen eine Kopie der Rechnung 2024-1187 "
        "mit unserer neuen Rechnungsadresse.",
    ),
    customer_followups=(
        "Die Bestellnummer ist {order}.",
        "Ja, das habe ich schon versucht, hat aber nicht geholfen.",
        "Ich nutze Chrome unter Windows 11, falls das relevant ist.",
        "Okay, danke. Aber wie lange dauert das normalerweise?",
        "Die Fehlermeldung lautet „Ungültiger API-Schlüssel“.",
        "Könnten Sie mir das auch per E-Mail schicken?",
        "Es geht um {company}, die Kundennummer sollte im Konto hinterlegt sein.",
        "Entschuldigung, noch eine Frage: Ist die Mehrwertsteuer in dem Preis enthalten?",
        "Wir haben die Rechnung am 3. bezahlt, das müsste inzwischen verbucht sein.",
        "Muss ich das Rücksendeetikett selbst ausdrucken?",
    ),
    customer_thanks=(
        "Vielen Dank, jetzt funktioniert es!",
        "Super, danke für die Hilfe.",
        "Perfekt, danke {agent}!",
        "Danke, ich halte nach der E-Mail Ausschau.",
        "Prima, mehr wollte ich nicht wissen. Schönen Tag noch!",
        "Okay, danke. Ich versuche es morgen noch einmal und melde mich, falls es immer noch nicht geht.",
        "Herzlichen Dank, {agent}, das war sehr hilfreich.",
        "Das wäre alles. Danke für die schnelle Antwort!",
        "Danke, ich leite das Angebot an meinen Vorgesetzten weiter.",
    ),
    agent_welcome=(
        "Hallo {customer}, hier ist {agent}. Wie kann ich Ihnen heute helfen?",
        "Guten Tag und vielen Dank für Ihre Nachricht!",
        "Hallo! Ich habe Ihre Nachricht gelesen, einen Moment bitte, ich schaue mir das an.",
        "Guten Morgen {customer}, danke fürs Warten. Ich sehe mir gleich Ihr Konto an.",
        "Hallo, hier ist {agent} vom Kundenservice. Was kann ich für Sie tun?",
        "Vielen Dank für Ihre Geduld. Ich übernehme jetzt den Chat.",
        "Hallo! Entschuldigen Sie die Wartezeit, heute ist viel los. Wie kann ich helfen?",
        "Hallo {customer}, ich sehe, Sie haben bereits mit unserem Chatbot geschrieben. "
        "Ich übernehme ab hier.",
        "Guten Tag! Ich rufe kurz Ihre Daten auf.",
    ),
    agent_replies=(
        "Können Sie mir bitte Ihre Bestellnummer nennen?",
        "Ich sehe, dass die Bestellung {order} gestern unser Lager verlassen hat. "
        "Sie sollte innerhalb von 1-2 Werktagen bei Ihnen sein.",
        "Ich habe Ihnen soeben einen neuen Link zum Zurücksetzen des Passworts geschickt. "
        "Er ist 30 Minuten gültig.",
        "Danke, {customer}. Ich kläre das gerade mit unserer Buchhaltung, das dauert nur eine Minute.",
        "Der Preisunterschied kommt daher, dass Ihr Jahresrabatt letzten Monat ausgelaufen ist. "
        "Wenn Sie um ein weiteres Jahr verlängern, kann ich einen neuen Rabatt eintragen.",
        "Könnten Sie bitte den Browser-Cache leeren und sich erneut anmelden?",
        "Offenbar wurde der API-Schlüssel für Ihre Schnittstelle am Montag neu generiert. "
        "Bitte tragen Sie den neuen Schlüssel in den Einstellungen Ihres Webshops ein.",
        "Ich habe die Rücksendung erfasst. "
        "Sie erhalten innerhalb einer Stunde ein Rücksendeetikett per E-Mail.",
        "Ich habe das Abonnement auf 12 Benutzer umgestellt. "
        "Die Änderung erscheint auf Ihrer nächsten Rechnung.",
        "Ich erstelle Ihnen ein Angebot und schicke es noch heute. Soll es an {company} adressiert werden?",
    ),
    agent_closings=(
        "Gern geschehen! Kann ich sonst noch etwas für Sie tun?",
        "Schön, dass wir das lösen konnten. Einen schönen Tag noch, {customer}!",
        "Danke für den Chat, {customer}, und alles Gute!",
        "Wenn noch etwas ist, starten Sie einfach einen neuen Chat. Auf Wiedersehen!",
        "Ein schönes Wochenende!",
        "Dann beende ich den Chat an dieser Stelle. Sie erhalten eine Kopie des Gesprächs per E-Mail.",
        "Melden Sie sich gerne wieder, wenn Sie weitere Fragen haben. Viele Grüße, {agent}",
        "Vielen Dank, dass Sie Kunde bei uns sind. Noch einen angenehmen Tag!",
        "Ich schließe den Fall jetzt. Tschüss, {customer}!",
    ),
    bot_greetings=(
        "Hallo! Ich bin {bot}, der digitale Assistent. Wobei kann ich Ihnen helfen?",
        "Willkommen beim Kundenservice! Beschreiben Sie Ihr Anliegen bitte in wenigen Worten.",
        "Hallo! Fragen Sie mich einfach, oder schreiben Sie „Mitarbeiter“, "
        "um mit einem Menschen zu sprechen.",
        "Hallo, Sie chatten mit {bot}. Wählen Sie unten ein Thema oder stellen Sie Ihre Frage.",
        "Willkommen! Unser Kundenservice ist werktags von 8:00 bis 16:00 Uhr erreichbar. "
        "Bis dahin helfe ich Ihnen gern weiter.",
        "Hallo! Geht es um eine Bestellung, eine Rechnung oder Ihr Konto?",
        "Hallo und herzlich willkommen. Ich bin ein automatischer Assistent - was möchten Sie wissen?",
        "Hallo! Ich bin {bot}. Bitte teilen Sie in diesem Chat keine Passwörter oder Kartennummern.",
        "Willkommen zurück, {customer}! Wie kann ich Ihnen heute helfen?",
    ),
    bot_replies=(
        "Sie können Ihr Passwort auf der Anmeldeseite über „Passwort vergessen“ zurücksetzen.",
        "Ich habe einen Artikel gefunden, der helfen könnte: „So aktualisieren Sie Ihre Rechnungsdaten“.",
        "Bitte geben Sie Ihre Bestellnummer ein, um die Lieferung zu verfolgen.",
        "Bestellung {order} ist unterwegs. Die voraussichtliche Lieferung erfolgt innerhalb von 2 Werktagen.",
        "Rücksendungen sind innerhalb von 30 Tagen nach Lieferung kostenlos. "
        "Soll ich eine Rücksendung für Sie starten?",
        "Entschuldigung, das habe ich nicht ganz verstanden. Können Sie Ihre Frage anders formulieren?",
        "Die Anzahl der Benutzer können Sie unter Einstellungen > Abonnement ändern.",
        "Rechnungen werden am 1. jedes Monats per E-Mail verschickt. "
        "Sie können sie auch in Ihrem Kundenkonto herunterladen.",
        "Hat das Ihre Frage beantwortet? Bitte antworten Sie mit Ja oder Nein.",
        "{product} ist auf Lager und wird in der Regel innerhalb eines Werktags versendet.",
    ),
    bot_handoffs=(
        "Ich verbinde Sie mit einem unserer Mitarbeiter, {customer}. Bitte warten Sie einen Moment.",
        "Diese Frage beantwortet besser ein Kollege. Ich leite Sie jetzt weiter …",
        "Danke, {customer}. Sie sind jetzt in der Warteschlange, "
        "der nächste freie Mitarbeiter antwortet Ihnen hier.",
        "Dazu habe ich leider keine Antwort gefunden, deshalb verbinde ich Sie mit einem Mitarbeiter.",
        "Einen Moment, ich suche jemanden aus der Buchhaltung für Sie.",
        "Sie sind Nummer 3 in der Warteschlange. Die geschätzte Wartezeit beträgt etwa 4 Minuten.",
        "Ich verbinde Sie jetzt mit einem Menschen. Der Mitarbeiter sieht alles, "
        "was wir bisher geschrieben haben.",
        "Das sollte sich eine Person ansehen. Ich leite Sie an den Kundenservice weiter.",
        "Alles klar! Ich habe Ihre Frage weitergeleitet. Ein Mitarbeiter antwortet Ihnen hier im Chat.",
    ),
    transfer_notes=(
        "Ich verbinde Sie mit einer Kollegin aus der Buchhaltung, die Ihnen bei der Rechnung helfen kann.",
        "Darum kümmert sich am besten unser technisches Team. Ich leite den Chat jetzt weiter, "
        "bitte schließen Sie das Fenster nicht.",
        "Ich übergebe an meinen Kollegen, der für Schnittstellen zuständig ist. "
        "Er meldet sich gleich bei Ihnen.",
        "Ich leite Sie an den Vertrieb weiter, damit dort ein Angebot für {company} erstellt werden kann.",
        "Einen Moment, ich übergebe den Chat an eine Kollegin mit Zugriff auf das Lagersystem.",
        "Ich gebe das an unser Retourenteam weiter. Dort sieht man den gesamten Verlauf, "
        "Sie müssen also nichts wiederholen.",
        "Meine Kollegin kennt sich mit {product} besser aus als ich, deshalb leite ich Sie jetzt weiter.",
        "Ich verschiebe den Chat in den Second-Level-Support. Danke für Ihre Geduld, {customer}!",
        "Ich muss Sie an die Finanzabteilung übergeben - nur dort kann eine Gutschrift ausgestellt werden.",
    ),
    offline_form_notes=(
        "Alle Mitarbeiter sind gerade beschäftigt oder offline. "
        "Hinterlassen Sie uns eine Nachricht, wir antworten per E-Mail.",
        "Der Chat ist derzeit geschlossen. Unsere Servicezeiten sind Montag bis Freitag, 8:00-16:00 Uhr.",
        "Zurzeit ist kein Mitarbeiter verfügbar. Bitte füllen Sie das Formular unten aus, "
        "wir melden uns innerhalb eines Werktags.",
        "Leider sind wir offline. Geben Sie Ihren Namen, Ihre E-Mail-Adresse und Ihre Frage ein, "
        "wir melden uns schnellstmöglich.",
        "Danke für Ihre Nachricht! Wir antworten innerhalb von 24 Stunden an Ihre E-Mail-Adresse.",
        "Leider ist gerade niemand für den Chat verfügbar. Möchten Sie eine Nachricht hinterlassen?",
        "Ihre Nachricht wurde gesendet. Wir haben ein Ticket angelegt, "
        "Sie erhalten eine Bestätigung per E-Mail.",
        "Wir sind gerade offline, {customer}. Hinterlassen Sie Ihre Frage hier, "
        "ein Mitarbeiter antwortet per E-Mail.",
        "Die Warteschlange ist momentan voll. Hinterlassen Sie Ihre Kontaktdaten, wir rufen Sie zurück.",
    ),
    topics=("Kundenservice", "Vertrieb", "Rechnungen", "Technischer Support", "Retouren"),
    customer_human_requests=(
        "Kann ich bitte mit einem Menschen sprechen?",
        "Ich möchte lieber mit einem Menschen sprechen als mit einem Bot.",
    ),
)

# --------------------------------------------------------------------------------------------
# Dutch
# --------------------------------------------------------------------------------------------

_NL = PhraseBook(
    language="nl",
    customer_openers=(
        "Hoi, ik kan niet inloggen. Er staat dat mijn wachtwoord onjuist is, "
        "maar ik heb het net opnieuw ingesteld.",
        "Goedendag, ik heb bestelling {order} nog niet ontvangen. Die zou dinsdag geleverd worden.",
        "Hallo, de factuur van deze maand is hoger dan normaal. Kunnen jullie daar even naar kijken?",
        "Goedemorgen. We willen ons abonnement uitbreiden van 5 naar 12 gebruikers. Hoe doen we dat?",
        "Hallo, het product dat ik besteld heb ({product}) is beschadigd aangekomen. Kan ik het retourneren?",
        "Sinds gistermiddag synchroniseert de koppeling met onze webshop geen bestellingen meer. "
        "In de log staat foutcode 401.",
        "Hallo, kunt u mij een offerte sturen voor 20 licenties van {product}?",
        "Ik heb geen e-mail ontvangen om mijn wachtwoord te resetten. In de spammap staat ook niets.",
        "Wanneer krijg ik mijn geld terug? Ik heb het pakket twee weken geleden teruggestuurd.",
        "Goedendag, ik neem contact op namens {company}. We hebben een kopie nodig van factuur 2024-1187 "
        "met ons nieuwe factuuradres.",
    ),
    customer_followups=(
        "Het bestelnummer is {order}.",
        "Ja, dat heb ik al geprobeerd, maar het hielp niet.",
        "Ik gebruik Chrome op Windows 11, als dat uitmaakt.",
        "Oké, bedankt. Maar hoe lang duurt dat meestal?",
        "De foutmelding zegt: 'Ongeldige API-sleutel'.",
        "Kunt u dat ook naar mij mailen?",
        "Het gaat om {company}, het KvK-nummer staat als het goed is in het account.",
        "Sorry, nog één vraag: is dat bedrag inclusief btw?",
        "We hebben die factuur op de 3e betaald, dus die zou inmiddels verwerkt moeten zijn.",
        "Moet ik het retourlabel zelf printen?",
    ),
    customer_thanks=(
        "Heel erg bedankt, het werkt nu!",
        "Top, bedankt voor de hulp.",
        "Perfect, dank je {agent}!",
        "Bedankt, ik houd mijn mail in de gaten.",
        "Mooi, dat was alles wat ik wilde weten. Fijne dag nog!",
        "Oké, dank u. Ik probeer het morgen opnieuw en laat het weten als het dan nog steeds niet werkt.",
        "Hartelijk dank, {agent}, daar heb ik veel aan.",
        "Dat was het voor nu. Bedankt voor de snelle reactie!",
        "Dank je, ik stuur de offerte door naar mijn leidinggevende.",
    ),
    agent_welcome=(
        "Hallo {customer}, je spreekt met {agent}. Waarmee kan ik je vandaag helpen?",
        "Goedendag en bedankt voor uw bericht!",
        "Hoi! Ik heb je bericht gelezen, geef me even een moment om het na te kijken.",
        "Goedemorgen {customer}, bedankt voor het wachten. Ik kijk even in uw account.",
        "Hallo, met {agent} van de klantenservice. Wat kan ik voor u doen?",
        "Bedankt voor uw geduld. Ik neem de chat nu over.",
        "Hoi! Sorry voor het wachten, het is druk vandaag. Hoe kan ik helpen?",
        "Hallo {customer}, ik zie dat je al met onze chatbot hebt gesproken. Ik neem het vanaf hier over.",
        "Goedemiddag! Ik zoek even uw gegevens op.",
    ),
    agent_replies=(
        "Kunt u mij uw bestelnummer geven?",
        "Ik zie dat bestelling {order} gisteren ons magazijn heeft verlaten. "
        "Die zou binnen 1-2 werkdagen bij u moeten zijn.",
        "Ik heb je zojuist een nieuwe link gestuurd om je wachtwoord te resetten. Die is 30 minuten geldig.",
        "Dank u, {customer}. Ik check dit nu even bij onze financiële afdeling, het duurt maar een minuutje.",
        "Het prijsverschil komt doordat uw jaarkorting vorige maand is verlopen. "
        "Als u met een jaar verlengt, kan ik een nieuwe korting toepassen.",
        "Kun je je browsercache wissen en opnieuw inloggen?",
        "Het lijkt erop dat de API-sleutel van uw koppeling maandag opnieuw is gegenereerd. "
        "U moet de nieuwe sleutel invullen bij de instellingen van uw webshop.",
        "Ik heb de retour geregistreerd. U ontvangt binnen een uur een retourlabel per e-mail.",
        "Ik heb het abonnement aangepast naar 12 gebruikers. "
        "De wijziging ziet u terug op de volgende factuur.",
        "Ik stel een offerte op en stuur die vandaag nog. Moet die op naam van {company}?",
    ),
    agent_closings=(
        "Graag gedaan! Kan ik u nog ergens anders mee helpen?",
        "Fijn dat het is opgelost. Nog een fijne dag, {customer}!",
        "Bedankt voor het chatten, {customer}, en tot ziens!",
        "Als er nog iets is, start dan gerust een nieuwe chat. Doei!",
        "Fijn weekend!",
        "Dan sluit ik de chat hier af. U ontvangt een kopie van het gesprek per e-mail.",
        "Neem gerust opnieuw contact op als u nog vragen heeft. Met vriendelijke groet, {agent}",
        "Bedankt dat u klant bij ons bent. Nog een prettige dag!",
        "Ik sluit de melding nu. Succes ermee!",
    ),
    bot_greetings=(
        "Hallo! Ik ben {bot}, de digitale assistent. Waarmee kan ik je helpen?",
        "Welkom bij de klantenservice! Beschrijf je vraag in een paar woorden.",
        "Hoi! Stel gerust je vraag, of typ 'medewerker' om met een mens te praten.",
        "Hallo, je chat met {bot}. Kies hieronder een onderwerp of typ je vraag.",
        "Welkom! Onze klantenservice is op werkdagen bereikbaar van 8.00 tot 16.00 uur. "
        "Tot die tijd help ik je graag verder.",
        "Hallo! Gaat het om een bestelling, een factuur of je account?",
        "Hallo en welkom. Ik ben een geautomatiseerde assistent - wat wil je weten?",
        "Hoi! Ik ben {bot}. Deel alsjeblieft geen wachtwoorden of kaartnummers in deze chat.",
        "Welkom terug, {customer}! Waarmee kan ik je vandaag helpen?",
    ),
    bot_replies=(
        "Je kunt je wachtwoord resetten via de inlogpagina door op 'Wachtwoord vergeten' te klikken.",
        "Ik heb een artikel gevonden dat misschien helpt: 'Zo wijzig je je factuurgegevens'.",
        "Vul je bestelnummer in om je levering te volgen.",
        "Bestelling {order} is onderweg. De verwachte levering is binnen 2 werkdagen.",
        "Retourneren is gratis binnen 30 dagen na levering. Zal ik een retour voor je aanmaken?",
        "Sorry, dat begreep ik niet helemaal. Kun je je vraag anders formuleren?",
        "Je kunt het aantal gebruikers wijzigen onder Instellingen > Abonnement.",
        "Facturen worden op de 1e van elke maand per e-mail verstuurd. "
        "Je kunt ze ook downloaden via Mijn account.",
        "Heeft dit je vraag beantwoord? Antwoord met ja of nee.",
        "{product} is op voorraad en wordt meestal binnen één werkdag verzonden.",
    ),
    bot_handoffs=(
        "Ik verbind je met een van onze medewerkers, {customer}. Een ogenblik geduld.",
        "Die vraag kan een collega beter beantwoorden. Ik stuur je nu door …",
        "Bedankt, {customer}. Je staat nu in de wachtrij en de eerstvolgende medewerker reageert hier.",
        "Daar heb ik helaas geen antwoord op gevonden, dus ik verbind je met een medewerker.",
        "Een moment, ik zoek iemand van de financiële afdeling voor je.",
        "Je bent nummer 3 in de wachtrij. De geschatte wachttijd is ongeveer 4 minuten.",
        "Ik verbind je nu met een mens. De medewerker kan alles zien wat we tot nu toe hebben geschreven.",
        "Hier moet een persoon naar kijken. Ik stuur je door naar de klantenservice.",
        "Oké! Ik heb je vraag doorgestuurd. Een medewerker antwoordt je hier in de chat.",
    ),
    transfer_notes=(
        "Ik verbind u door met een collega van de financiële afdeling die u met de factuur kan helpen.",
        "Dit kan ons technische team het beste oppakken. Ik zet de chat nu door, "
        "sluit het venster alstublieft niet.",
        "Ik draag je over aan mijn collega die over koppelingen gaat. Die is er zo bij.",
        "Ik zet u door naar Verkoop, zodat zij een offerte voor {company} kunnen opstellen.",
        "Een moment, ik zet de chat door naar een collega met toegang tot het magazijnsysteem.",
        "Ik geef dit door aan ons retourteam. Zij zien het hele gesprek, dus u hoeft niets te herhalen.",
        "Mijn collega weet meer van {product} dan ik, dus ik verbind je nu door.",
        "Ik zet de chat door naar de tweedelijnsondersteuning. Bedankt voor je geduld, {customer}!",
        "Ik moet u doorverbinden met de boekhouding - alleen zij kunnen een creditnota opmaken.",
    ),
    offline_form_notes=(
        "Al onze medewerkers zijn op dit moment bezet of offline. "
        "Laat een bericht achter, dan reageren we per e-mail.",
        "De chat is momenteel gesloten. Onze openingstijden zijn maandag t/m vrijdag van 8.00 tot 16.00 uur.",
        "Er is geen medewerker beschikbaar. Vul het formulier hieronder in, "
        "dan nemen we binnen één werkdag contact met u op.",
        "Sorry, we zijn offline. Vul je naam, e-mailadres en vraag in, "
        "dan nemen we zo snel mogelijk contact op.",
        "Bedankt voor je bericht, {customer}! We reageren binnen 24 uur op je e-mailadres.",
        "Helaas is er op dit moment niemand beschikbaar om te chatten. Wil je een bericht achterlaten?",
        "Je bericht is verzonden. Er is een ticket aangemaakt en je ontvangt een bevestiging per e-mail.",
        "We zijn op dit moment offline, {customer}. Laat je vraag hier achter, "
        "dan antwoordt een medewerker per e-mail.",
        "De wachtrij is op dit moment vol. Laat je contactgegevens achter, dan bellen we je terug.",
    ),
    topics=("Klantenservice", "Verkoop", "Facturatie", "Technische ondersteuning", "Retouren"),
    customer_human_requests=(
        "Kan ik met een mens praten?",
        "Ik wil liever met een mens praten dan met een bot.",
    ),
)

#: The word every ``customer_human_requests`` text of a language holds.
HUMAN_WORDS: dict[str, str] = {
    "en": "human",
    "nb": "menneske",
    "sv": "människa",
    "da": "menneske",
    "de": "Menschen",
    "nl": "mens",
}

PHRASEBOOKS: dict[str, PhraseBook] = {book.language: book for book in (_EN, _NB, _SV, _DA, _DE, _NL)}

# Language codes that Faker (or a user) may use for a supported language under another name.
_LANGUAGE_ALIASES: dict[str, str] = {"no": "nb"}


def phrasebook_for(locale: str) -> PhraseBook:
    """Return the phrasebook for a Faker locale such as 'nb_NO', 'en_GB', 'de_DE'.

    Only the language part counts ("en_US" and "en_GB" both give English); "-" works as a
    separator too and a bare language code ("sv") is accepted. An unsupported language raises
    ``KeyError`` naming the supported languages.
    """
    language = locale.replace("-", "_").split("_", 1)[0].strip().lower()
    language = _LANGUAGE_ALIASES.get(language, language)
    try:
        return PHRASEBOOKS[language]
    except KeyError:
        supported = ", ".join(sorted(PHRASEBOOKS))
        raise KeyError(
            f"no chat phrasebook for locale {locale!r} (language {language!r}); "
            f"supported languages: {supported}"
        ) from None

"""The Swedish phrasebook: support-chat texts for simulated sessions in language ``sv``."""

from __future__ import annotations

from simulator.superoffice.phrases.book import PhraseBook

__all__ = ["SV"]

SV = PhraseBook(
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

"""The Dutch phrasebook: support-chat texts for simulated sessions in language ``nl``."""

from __future__ import annotations

from simulator.superoffice.phrases.book import PhraseBook

__all__ = ["NL"]

NL = PhraseBook(
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

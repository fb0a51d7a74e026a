"""The German phrasebook: support-chat texts for simulated sessions in language ``de``."""

from __future__ import annotations

from simulator.superoffice.phrases.book import PhraseBook

__all__ = ["DE"]

DE = PhraseBook(
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

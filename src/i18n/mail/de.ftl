# Die Mail, die ticketd schreibt: die Worte der eingebauten Vorlagen.

mail-greeting = Guten Tag,
mail-hello = Hallo { $name },
mail-thank-you = Vielen Dank,
mail-subject-line = Betreff: { $subject }
mail-owner-line = Bearbeiter: { $owner }
mail-requestors-line = Anfragende: { $requestors }
mail-priority = Priorität { $priority }
mail-age-old = seit { $age }
mail-due = fällig { $due }
mail-from-requestors = von { $requestors }
mail-and-more = ... und { $more } weitere.

mail-autoreply-subject = Automatische Antwort: { $subject }
mail-autoreply-made =
    Diese Nachricht wurde automatisch erzeugt, weil ein Ticket zu folgendem
    Anliegen angelegt wurde:
    	„{ $subject }“;
    eine Zusammenfassung steht unten.
mail-autoreply-id =
    Sie müssen auf diese Nachricht jetzt nicht antworten. Ihr Ticket hat die
    Kennung { $tag } erhalten.
mail-autoreply-include = Bitte nennen Sie die Zeichenfolge
mail-autoreply-in-subject =
    im Betreff aller weiteren Nachrichten zu diesem Anliegen. Dazu können Sie
    einfach auf diese Nachricht antworten.

mail-new-ticket = Neues Ticket #{ $id } in der Queue { $queue } von { $actor }:
mail-reply-from = Ticket #{ $id }: Antwort von { $actor }
mail-comment-subject = [Kommentar] { $subject }
mail-comment-note = Dies ist ein Kommentar. Er wird den Anfragenden nicht geschickt:
mail-owner-changed-subject = Ticket an Sie übergeben: { $subject }
mail-owner-changed = Ticket #{ $id } in der Queue { $queue } wurde Ihnen von { $actor } übergeben.
mail-resolved-subject = Erledigt: { $subject }
mail-resolved =
    Ihr Anliegen ist nach unseren Unterlagen erledigt. Wenn Sie weitere Fragen
    haben, antworten Sie einfach auf diese Nachricht.

mail-sla-warning-subject = SLA-Warnung: { $subject }
mail-sla-warning = Ticket #{ $id } in der Queue { $queue } erreicht bald die Grenze seiner Service-Vereinbarung:
mail-sla-breach-subject = SLA verletzt: { $subject }
mail-sla-breach = Ticket #{ $id } in der Queue { $queue } hat seine Service-Vereinbarung verfehlt:

mail-stalled-reminder =
    Dieses Ticket wartet seit { $since } auf Ihre Antwort.

    Bitte antworten Sie auf diese Nachricht mit den erbetenen Angaben, oder teilen
    Sie uns mit, ob sich die Sache erledigt hat.

mail-untaken-subject = { $total } { $total ->
        [one] neues Ticket
       *[other] neue Tickets
    } ohne Bearbeiter in { $queue }
mail-untaken-intro = Neue Tickets in der Queue { $queue } ohne Bearbeiter, die ältesten zuerst:
mail-owner-digest-subject = Ihre { $total } { $total ->
        [one] offenes Ticket
       *[other] offenen Tickets
    }
mail-owner-digest-intro = Ihre noch aktiven Tickets, nach Priorität und Alter:
mail-activity-subject = Ihre { $period ->
        [daily] tägliche
       *[weekly] wöchentliche
    } Übersicht: { $count } { $count ->
        [one] Ticket
       *[other] Tickets
    } geändert
mail-activity-intro = Was seit { $since } an den Tickets geschah, die Sie beobachten:

mail-commands-refused-subject = Befehle abgelehnt: { $subject }
mail-commands-refused =
    Ihre Nachricht wurde Ticket #{ $id } hinzugefügt, aber diese Befehle darin
    wurden nicht ausgeführt:
mail-commands-others = Die übrigen Befehle, falls vorhanden, wurden ausgeführt.

mail-password-subject = Legen Sie Ihr Passwort für das Ticketsystem fest
mail-password-link =
    für Sie wurde ein Zugang zu den Webseiten des Ticketsystems angelegt ({ $login }).
    Wählen Sie hier Ihr Passwort; der Link gilt einmal und { $hours } Stunden lang:
mail-password-unexpected = Wenn Sie das nicht erwartet haben, ignorieren Sie diese Nachricht.

mail-page = { $queue } #{ $id } Priorität { $priority } { $status }, Bearbeiter { $owner }: { $subject }

mail-signin-subject = Ihr Anmeldelink für das Ticketsystem
mail-signin-link =
    hier ist der erbetene Link, mit dem Sie Ihre Anfragen online sehen.
    Er gilt einmal, { $minutes } Minuten lang:
mail-signin-unexpected = Wenn Sie ihn nicht angefordert haben, ignorieren Sie diese Nachricht: ohne diese Mail kann ihn niemand nutzen.

mail-view-online = Dieses Ticket online ansehen:

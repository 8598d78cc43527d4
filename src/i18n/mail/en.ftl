# The mail ticketd writes: the words of the built-in templates (src/template.rs keeps the
# layout and the values). Each recipient reads their own language: their `lang`, else
# mail.language.

mail-greeting = Greetings,
mail-hello = Hello { $name },
mail-thank-you = Thank you,
mail-subject-line = Subject: { $subject }
mail-owner-line = Owner: { $owner }
mail-requestors-line = Requestors: { $requestors }
mail-priority = priority { $priority }
mail-age-old = { $age } old
mail-due = due { $due }
mail-from-requestors = from { $requestors }
mail-and-more = ... and { $more } more.

mail-autoreply-subject = AutoReply: { $subject }
mail-autoreply-made =
    This message has been automatically generated in response to the
    creation of a ticket regarding:
    	"{ $subject }",
    a summary of which appears below.
mail-autoreply-id =
    There is no need to reply to this message right now. Your ticket has been
    assigned an ID of { $tag }.
mail-autoreply-include = Please include the string:
mail-autoreply-in-subject =
    in the subject line of all future correspondence about this issue. To do so,
    you may reply to this message.

mail-new-ticket = New ticket #{ $id } in queue { $queue } from { $actor }:
mail-reply-from = Ticket #{ $id }: reply from { $actor }
mail-comment-subject = [Comment] { $subject }
mail-comment-note = This is a comment. It is not sent to the Requestor(s):
mail-owner-changed-subject = Ticket assigned to you: { $subject }
mail-owner-changed = Ticket #{ $id } in queue { $queue } has been given to you by { $actor }.
mail-resolved-subject = Resolved: { $subject }
mail-resolved =
    According to our records, your request has been resolved. If you have any
    further questions or concerns, please respond to this message.

mail-sla-warning-subject = SLA warning: { $subject }
mail-sla-warning = Ticket #{ $id } in queue { $queue } is close to its service level:
mail-sla-breach-subject = SLA breached: { $subject }
mail-sla-breach = Ticket #{ $id } in queue { $queue } has missed its service level:

mail-stalled-reminder =
    This ticket has been waiting for an answer from you since { $since }.

    Please reply to this message with the information we asked for, or let us know
    if the matter is settled.

mail-untaken-subject = { $total } new { $total ->
        [one] ticket
       *[other] tickets
    } nobody has taken in { $queue }
mail-untaken-intro = New tickets in queue { $queue } without an owner, oldest first:
mail-owner-digest-subject = Your { $total } open { $total ->
        [one] ticket
       *[other] tickets
    }
mail-owner-digest-intro = Tickets you own that are still active, by priority and age:
mail-activity-subject = Your { $period ->
        [daily] daily
       *[weekly] weekly
    } digest: { $count } { $count ->
        [one] ticket
       *[other] tickets
    } changed
mail-activity-intro = What happened since { $since } on the tickets you watch:

mail-commands-refused-subject = Commands refused: { $subject }
mail-commands-refused =
    Your message was added to ticket #{ $id }, but these commands in it were not
    carried out:
mail-commands-others = The other commands, if any, were.

mail-password-subject = Set your password for the ticket system
mail-password-link =
    an account on the ticket system's web pages was made for you ({ $login }).
    Choose your password here; the link works once, for { $hours } hours:
mail-password-unexpected = If you did not expect this, ignore this message.

mail-page = { $queue } #{ $id } priority { $priority } { $status }, owner { $owner }: { $subject }

mail-signin-subject = Your sign-in link for the ticket system
mail-signin-link =
    here is the link you asked for to see your requests online.
    It works once, for { $minutes } minutes:
mail-signin-unexpected = If you did not ask for it, ignore this message: nobody can use it without this mail.

mail-view-online = View this ticket online:

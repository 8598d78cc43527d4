# Le courrier qu'écrit ticketd : les mots des modèles intégrés.

mail-greeting = Bonjour,
mail-hello = Bonjour { $name },
mail-thank-you = Merci,
mail-subject-line = Objet : { $subject }
mail-owner-line = Responsable : { $owner }
mail-requestors-line = Demandeurs : { $requestors }
mail-priority = priorité { $priority }
mail-age-old = depuis { $age }
mail-due = échéance { $due }
mail-from-requestors = de { $requestors }
mail-and-more = ... et { $more } de plus.

mail-autoreply-subject = Réponse automatique : { $subject }
mail-autoreply-made =
    Ce message a été généré automatiquement à la suite de la création
    d'un ticket concernant :
    	« { $subject } »,
    dont un résumé figure ci-dessous.
mail-autoreply-id =
    Il n'est pas nécessaire de répondre à ce message pour l'instant. Votre ticket
    a reçu l'identifiant { $tag }.
mail-autoreply-include = Merci d'indiquer la chaîne :
mail-autoreply-in-subject =
    dans l'objet de tous vos prochains messages à ce sujet. Pour cela, il suffit
    de répondre à ce message.

mail-new-ticket = Nouveau ticket #{ $id } dans la file { $queue } de { $actor } :
mail-reply-from = Ticket #{ $id } : réponse de { $actor }
mail-comment-subject = [Commentaire] { $subject }
mail-comment-note = Ceci est un commentaire. Il n'est pas envoyé aux demandeurs :
mail-owner-changed-subject = Ticket qui vous est attribué : { $subject }
mail-owner-changed = Le ticket #{ $id } de la file { $queue } vous a été attribué par { $actor }.
mail-resolved-subject = Résolu : { $subject }
mail-resolved =
    D'après nos informations, votre demande est résolue. Si vous avez d'autres
    questions, répondez simplement à ce message.

mail-sla-warning-subject = Alerte SLA : { $subject }
mail-sla-warning = Le ticket #{ $id } de la file { $queue } approche de la limite de son niveau de service :
mail-sla-breach-subject = SLA dépassé : { $subject }
mail-sla-breach = Le ticket #{ $id } de la file { $queue } a dépassé son niveau de service :

mail-stalled-reminder =
    Ce ticket attend votre réponse depuis le { $since }.

    Merci de répondre à ce message avec les informations demandées, ou de nous
    dire si la question est réglée.

mail-untaken-subject = { $total } { $total ->
        [one] nouveau ticket
       *[other] nouveaux tickets
    } sans responsable dans { $queue }
mail-untaken-intro = Nouveaux tickets de la file { $queue } sans responsable, du plus ancien au plus récent :
mail-owner-digest-subject = Vos { $total } { $total ->
        [one] ticket ouvert
       *[other] tickets ouverts
    }
mail-owner-digest-intro = Les tickets dont vous êtes responsable et qui sont encore actifs, par priorité et ancienneté :
mail-activity-subject = Votre résumé { $period ->
        [daily] quotidien
       *[weekly] hebdomadaire
    } : { $count } { $count ->
        [one] ticket modifié
       *[other] tickets modifiés
    }
mail-activity-intro = Ce qui s'est passé depuis le { $since } sur les tickets que vous suivez :

mail-commands-refused-subject = Commandes refusées : { $subject }
mail-commands-refused =
    Votre message a été ajouté au ticket #{ $id }, mais ces commandes qu'il
    contenait n'ont pas été exécutées :
mail-commands-others = Les autres commandes, s'il y en avait, l'ont été.

mail-password-subject = Choisissez votre mot de passe pour le système de tickets
mail-password-link =
    un compte a été créé pour vous sur les pages web du système de tickets ({ $login }).
    Choisissez votre mot de passe ici ; le lien ne sert qu'une fois, pendant { $hours } heures :
mail-password-unexpected = Si vous ne vous attendiez pas à ce message, ignorez-le.

mail-page = { $queue } #{ $id } priorité { $priority } { $status }, responsable { $owner } : { $subject }

mail-signin-subject = Votre lien de connexion au système de tickets
mail-signin-link =
    voici le lien demandé pour consulter vos demandes en ligne.
    Il ne sert qu'une fois, pendant { $minutes } minutes :
mail-signin-unexpected = Si vous ne l'avez pas demandé, ignorez ce message : personne ne peut s'en servir sans ce courrier.

mail-view-online = Voir ce ticket en ligne :

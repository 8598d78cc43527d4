//! Administration: users, groups, queues, grants, rights, tokens, `admin init`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

use super::idempotency::{Keep, from_json, to_json};
use super::{Actor, ApiResult, App, read_as, write_as, write_keeping};
use crate::error::Error;
use crate::server::now;
use crate::wire::{
    ChangeRequest, Changed, Created, GrantRequest, InitReport, InitRequest, ListParams, MemberChange, NewGroup,
    NewQueue, NewToken, NewUser, PerQueueRequest, RightsParams, TokenCreated, TokenParams,
};
use crate::workflow::admin;

fn ok<T: serde::Serialize>(value: T) -> ApiResult<Response> {
    Ok(Json(value).into_response())
}

/// The acting user.
pub async fn whoami(State(app): State<App>, Extension(actor): Extension<Actor>) -> ApiResult<Response> {
    ok(read_as(&app, actor, |_, access| Ok(access.user.clone())).await?)
}

pub async fn users(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Query(p): Query<ListParams>,
) -> ApiResult<Response> {
    ok(read_as(&app, actor, move |db, access| admin::users(db, access, p.all)).await?)
}

pub async fn create_user(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Json(req): Json<NewUser>,
) -> ApiResult<Response> {
    let user = write_as(&app, actor, move |tx, access, s| {
        admin::create_user(tx, s, access, &req, now())
    })
    .await?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

pub async fn show_user(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Path(who): Path<String>,
) -> ApiResult<Response> {
    ok(read_as(&app, actor, move |db, access| admin::show_user(db, access, &who)).await?)
}

pub async fn set_user(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Path(who): Path<String>,
    Json(req): Json<ChangeRequest>,
) -> ApiResult<Response> {
    ok(write_keeping(
        &app,
        actor,
        move |tx, access, _| admin::set_user(tx, access, &who, &req.changes),
        Keep::Never,
    )
    .await?)
}

pub async fn groups(State(app): State<App>, Extension(actor): Extension<Actor>) -> ApiResult<Response> {
    ok(read_as(&app, actor, admin::groups).await?)
}

pub async fn create_group(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Json(req): Json<NewGroup>,
) -> ApiResult<Response> {
    let id = write_as(&app, actor, move |tx, access, _| {
        admin::create_group(tx, access, &req.name, &req.description)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(Created { id })).into_response())
}

pub async fn change_member(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Path(group): Path<String>,
    Json(req): Json<MemberChange>,
) -> ApiResult<Response> {
    let changed = write_as(&app, actor, move |tx, access, _| {
        admin::change_member(tx, access, &group, &req.member, req.add)
    })
    .await?;
    ok(Changed { changed })
}

pub async fn queues(State(app): State<App>, Extension(actor): Extension<Actor>) -> ApiResult<Response> {
    ok(read_as(&app, actor, admin::queues).await?)
}

pub async fn create_queue(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Json(req): Json<NewQueue>,
) -> ApiResult<Response> {
    let queue = write_as(&app, actor, move |tx, access, s| {
        admin::create_queue(tx, s, access, &req, now())
    })
    .await?;
    Ok((StatusCode::CREATED, Json(queue)).into_response())
}

pub async fn set_queue(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
    Json(req): Json<ChangeRequest>,
) -> ApiResult<Response> {
    ok(write_as(&app, actor, move |tx, access, _| {
        admin::set_queue(tx, access, &name, &req.changes, now())
    })
    .await?)
}

pub async fn grant(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Json(req): Json<GrantRequest>,
) -> ApiResult<Response> {
    let changed = write_as(&app, actor, move |tx, access, _| admin::grant(tx, access, &req, true)).await?;
    ok(Changed { changed })
}

pub async fn revoke(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Json(req): Json<GrantRequest>,
) -> ApiResult<Response> {
    let changed = write_as(&app, actor, move |tx, access, _| admin::grant(tx, access, &req, false)).await?;
    ok(Changed { changed })
}

/// Grants a team the rights to work its queues and/or takes them from staff globally.
pub async fn per_queue_preset(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Json(req): Json<PerQueueRequest>,
) -> ApiResult<Response> {
    ok(write_as(&app, actor, move |tx, access, _| {
        admin::per_queue_preset(tx, access, &req)
    })
    .await?)
}

pub async fn rights(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Query(p): Query<RightsParams>,
) -> ApiResult<Response> {
    ok(read_as(&app, actor, move |db, access| {
        admin::explain(db, access, &p.user, p.queue.as_deref())
    })
    .await?)
}

pub async fn tokens(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Query(p): Query<TokenParams>,
) -> ApiResult<Response> {
    ok(read_as(&app, actor, move |db, access| {
        admin::tokens(db, access, p.user.as_deref())
    })
    .await?)
}

pub async fn create_token(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Json(req): Json<NewToken>,
) -> ApiResult<Response> {
    // the secret is shown once and never stored: a retry learns the token's number only
    let keep = Keep::Answer {
        keep: |(id, _): &(i64, String)| Ok(id.to_string()),
        replay: |id| {
            Err(Error::Conflict(format!(
                "token {id} was made by the first request with this Idempotency-Key, and its secret shown \
                 then only; revoke it (tkt token revoke {id}) and make another"
            )))
        },
    };
    let (id, token) = write_keeping(
        &app,
        actor,
        move |tx, access, _| {
            admin::create_token(tx, access, &req.user, &req.description, req.expires.as_deref(), now())
        },
        keep,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(TokenCreated { id, token })).into_response())
}

pub async fn revoke_token(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let changed = write_as(&app, actor, move |tx, access, _| {
        admin::revoke_token(tx, access, id, now())
    })
    .await?;
    ok(Changed { changed })
}

pub async fn init(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Json(req): Json<InitRequest>,
) -> ApiResult<Response> {
    // a first admin's token is shown once and never stored: a retry that made one says so
    let keep = Keep::Answer {
        keep: |report: &InitReport| {
            to_json(&InitReport {
                token: report.token.as_ref().map(|_| String::new()),
                ..report.clone()
            })
        },
        replay: |kept| {
            let report: InitReport = from_json(kept)?;
            match (&report.token, &report.admin) {
                (Some(_), Some(admin)) => Err(Error::Conflict(format!(
                    "the first request with this Idempotency-Key made {admin} an admin with a token, whose \
                     secret was shown then only; revoke it (tkt token list, tkt token revoke N) and make another"
                ))),
                _ => Ok(report),
            }
        },
    };
    ok(write_keeping(
        &app,
        actor,
        move |tx, access, _| admin::admin_init(tx, access, req.admin.as_deref(), now()),
        keep,
    )
    .await?)
}

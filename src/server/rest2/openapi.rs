//! The OpenAPI 3.1 description of `/REST/2.0`: the document's frame (title, the three
//! ways to authenticate) and the parameters and failures many routes share, named once
//! here and used by the `#[utoipa::path]` attribute on each handler.

#![allow(dead_code)] // the types below describe requests and answers; none is built

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, IntoResponses, Modify, OpenApi};

use crate::server::web::session::COOKIE;
use crate::wire::rest2::Rest2Error;

/// The OpenAPI 3.1 document of `/REST/2.0` (`GET /REST/2.0/openapi.json`): each route's
/// part is the `#[utoipa::path]` on its handler, and the router is built from the same
/// attributes, so the document lists exactly the routes that are served.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "ticketd REST2",
        description = "RT 5's REST2, the subset ticketd serves: RT's clients work unchanged. A record the user may not see is 404, exactly like a missing one."
    ),
    modifiers(&Credentials),
    security(("token" = []), ("basic" = []), ("session" = []))
)]
pub struct Description;

/// The three ways a request says who it is ([`auth`]).
struct Credentials;

impl Modify for Credentials {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`token <secret>`: a token from `tkt token create`",
            ))),
        );
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some("The user's web password (throttled as the login form is)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                COOKIE,
                "The web UI's session cookie (a change must come from the web UI's origin)",
            ))),
        );
    }
}

/// `{id}` of a ticket's routes.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TicketNumber {
    /// The ticket number
    id: String,
}

/// `page` and `per_page` of a collection.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page number, from 1
    page: Option<u32>,
    /// Items per page: 20 unless given, at most 100
    per_page: Option<u32>,
}

/// How reading one record fails.
#[derive(IntoResponses)]
pub enum ReadFailure {
    /// No such record, or one the user may not see (the same answer)
    #[response(status = 404)]
    Missing(Rest2Error),
}

/// How taking, untaking or stealing a ticket fails.
#[derive(IntoResponses)]
pub enum OwnershipFailure {
    /// The user may see it but not do this
    #[response(status = 403)]
    Denied(Rest2Error),
    /// No such record, or one the user may not see (the same answer)
    #[response(status = 404)]
    Missing(Rest2Error),
    /// Content-Type is not application/json
    #[response(status = 415)]
    NotJson(Rest2Error),
}

/// How a change to a record the user may see fails.
#[derive(IntoResponses)]
pub enum ChangeFailure {
    /// A field or value that does not read
    #[response(status = 400)]
    Invalid(Rest2Error),
    /// The user may see it but not do this
    #[response(status = 403)]
    Denied(Rest2Error),
    /// No such record, or one the user may not see (the same answer)
    #[response(status = 404)]
    Missing(Rest2Error),
}

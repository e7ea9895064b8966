//! Toplyne Cloud Mode (Actions): sends user profiles, account profiles and
//! events to Toplyne's upload API. Every request is a POST with a Bearer API key.

use sluice_guest::prelude::*;

mod send_account_profiles;
mod send_events;
mod send_user_profiles;
mod time;

pub const BASE_URL: &str = "https://api.toplyne.io/v1";

pub static TOPLYNE: Destination = Destination {
    name: "Toplyne Cloud Mode (Actions)",
    slug: "toplyne",
    description: "Send users, accounts and events to Toplyne.",
    settings: &[Setting {
        key: "apiKey",
        label: "API Key",
        description: "Your Toplyne API Key",
        ty: FieldType::Password,
        required: true,
        secret: true,
    }],
    actions: &[send_user_profiles::ACTION, send_account_profiles::ACTION, send_events::ACTION],
    presets: &[
        Preset { name: "Send User Profiles", subscribe: r#"type = "identify""#, action: "sendUserProfiles" },
        Preset { name: "Send Account Profiles", subscribe: r#"type = "group""#, action: "sendAccountProfiles" },
        Preset { name: "Send Events", subscribe: r#"type = "track""#, action: "sendEvents" },
    ],
    hosts: &["https://api.toplyne.io"],
    auth: &[AuthBinding {
        secret: "apiKey",
        header: "authorization",
        format: "Bearer {secret}",
        hosts: &["https://api.toplyne.io"],
        sign: None,
    }],
    rate_budget: None,
    test_authentication: Some(|_| Request::get(format!("{BASE_URL}/auth/me")).auth("apiKey").send()),
};

sluice_guest::export!(TOPLYNE);

/// Records per upload request, and their JSON bytes. Toplyne documents no
/// limit; these keep a request well under the host's 4 MiB body cap.
pub const MAX_EVENTS: u32 = 100;
pub const MAX_BYTES: u32 = 1 << 20;

/// A record is the payload with its time field turned into unix seconds;
/// the other members go out as they came.
fn record(mut payload: Payload, time_field: &str) -> Record {
    if let Some(t) = payload.get(time_field) {
        payload.set(time_field, &time::unix_seconds(&t));
    }
    payload.into_record()
}

/// Every upload: `POST {BASE_URL}{path}` with `{list: [records]}`.
fn upload(path: &str, list: &str, records: Vec<Record>) -> Result<Response> {
    Request::post(format!("{BASE_URL}{path}")).auth("apiKey").json(&std::collections::BTreeMap::from([(list, records)])).send()
}

/// The documented rule the reference does not enforce: a user needs an id.
fn require_user_or_anonymous_id(payload: &Payload) -> Result<()> {
    if !payload.has("userId") && !payload.has("anonymousId") {
        return Err(Error::validation(
            "Either 'userId' or 'anonymousId' is required: map at least one of them.",
        ));
    }
    Ok(())
}

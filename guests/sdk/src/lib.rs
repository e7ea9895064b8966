//! The guest SDK: what a partner needs to write a sluice destination in Rust.
//!
//! A destination is data: a [`Destination`] with its settings, hosts and auth
//! bindings, and one [`Action`] per file with its fields and a `perform` that
//! builds a [`Request`]. `sluice_guest::export!(MY_DESTINATION)` turns it into a
//! component. The host does mapping and validation before `perform` is called,
//! and owns egress: a guest never sees a secret, it names one with
//! [`Request::auth`].

pub mod bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "destination-world",
        pub_export_macro: true,
        export_macro_name: "export_component",
        default_bindings_module: "sluice_guest::bindings",
    });
}

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod no_wasi;
mod describe;
mod error;
mod payload;
mod request;

pub use describe::{Action, AuthBinding, Batch, Destination, Field, FieldType, Preset, RateBudget, Setting, SignatureEncoding};
pub use error::{Error, ErrorKind, Result};
pub use payload::{object, Payload, Record};
pub use request::{Method, Request, Response};
pub use serde_json::{json, Value};

pub mod prelude {
    pub use crate::{
        json, object, Action, AuthBinding, Batch, Destination, Error, ErrorKind, Field, FieldType, Payload, Preset,
        RateBudget, Record, Request, Response, Result, Setting, SignatureEncoding, Value,
    };
}

/// Writes to the host's log (never stdout; the host tags it with the module).
pub fn log(level: bindings::sluice::destination::log::Level, message: &str) {
    bindings::sluice::destination::log::log(level, message);
}

pub use bindings::sluice::destination::log::Level as LogLevel;

#[doc(hidden)]
pub mod __export {
    use crate::bindings::exports::sluice::destination::destination as wit;
    use crate::bindings::sluice::destination::types as t;
    use crate::{Destination, Error, Payload};

    /// Runs at the start of every export.
    fn enter() {
        #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
        crate::no_wasi::install_panic_hook();
    }

    pub fn describe(d: &Destination) -> t::DestinationInfo {
        enter();
        d.to_wit()
    }

    pub fn perform(d: &Destination, action: &str, payload: String, settings: String) -> Result<t::Outcome, t::Error> {
        enter();
        run(d, action, payload, settings).map_err(Error::into_wit)
    }

    fn run(d: &Destination, action: &str, payload: String, settings: String) -> crate::Result<t::Outcome> {
        let action = d
            .actions
            .iter()
            .find(|a| a.key == action)
            .ok_or_else(|| Error::validation(format!("{} has no action '{action}'", d.name)))?;
        let payload = Payload::from_host(payload)?;
        let settings = Payload::from_host(settings)?;
        let response = (action.perform)(&payload, &settings)?;
        Ok(t::Outcome { status: response.status, body: response.text() })
    }

    /// One request for the whole batch when the action batches (each payload
    /// that fails to become a record fails alone; a failed request fails every
    /// payload in it), else one `perform` per payload.
    pub fn perform_batch(d: &Destination, action: &str, payloads: Vec<String>, settings: String) -> Vec<Result<t::Outcome, t::Error>> {
        enter();
        let batch = d.actions.iter().find(|a| a.key == action).and_then(|a| a.batch.as_ref());
        let Some(batch) = batch else {
            return payloads.into_iter().map(|p| perform(d, action, p, settings.clone())).collect();
        };
        let settings = match Payload::from_host(settings) {
            Ok(s) => s,
            Err(e) => return payloads.iter().map(|_| Err(e.clone().into_wit())).collect(),
        };
        let n = payloads.len();
        let mut results: Vec<Option<Result<t::Outcome, t::Error>>> = Vec::with_capacity(n);
        let mut records = Vec::with_capacity(n);
        for p in payloads {
            match Payload::from_host(p).and_then(|p| (batch.record)(p, &settings)) {
                Ok(record) => {
                    records.push(record);
                    results.push(None);
                }
                Err(e) => results.push(Some(Err(e.into_wit()))),
            }
        }
        let sent = if records.is_empty() { None } else { Some((batch.send)(records, &settings)) };
        let outcome = sent.map(|r| r.map(|resp| t::Outcome { status: resp.status, body: resp.text() }).map_err(Error::into_wit));
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| outcome.clone().expect("a record was sent")))
            .collect()
    }

    pub fn test_authentication(d: &Destination, settings: String) -> Result<(), t::Error> {
        enter();
        let settings = Payload::from_host(settings).map_err(Error::into_wit)?;
        match d.test_authentication {
            Some(test) => test(&settings).map(|_| ()).map_err(|e| {
                Error { message: format!("Credentials are invalid: {}", e.message), ..e }.into_wit()
            }),
            None => Ok(()),
        }
    }

    pub use wit::Guest;
}

/// Exports a [`Destination`] static as the component's `destination` interface.
#[macro_export]
macro_rules! export {
    ($dest:path) => {
        struct __SluiceComponent;
        impl $crate::__export::Guest for __SluiceComponent {
            fn describe() -> $crate::bindings::sluice::destination::types::DestinationInfo {
                $crate::__export::describe(&$dest)
            }
            fn perform(
                action: String,
                payload: String,
                settings: String,
            ) -> Result<$crate::bindings::sluice::destination::types::Outcome, $crate::bindings::sluice::destination::types::Error> {
                $crate::__export::perform(&$dest, &action, payload, settings)
            }
            fn perform_batch(
                action: String,
                payloads: Vec<String>,
                settings: String,
            ) -> Vec<Result<$crate::bindings::sluice::destination::types::Outcome, $crate::bindings::sluice::destination::types::Error>> {
                $crate::__export::perform_batch(&$dest, &action, payloads, settings)
            }
            fn test_authentication(settings: String) -> Result<(), $crate::bindings::sluice::destination::types::Error> {
                $crate::__export::test_authentication(&$dest, settings)
            }
        }
        $crate::bindings::export_component!(__SluiceComponent with_types_in $crate::bindings);
    };
}

#[cfg(test)]
mod tests {
    /// The SDK ships its own copy of the contract (so it builds outside this
    /// repository); it must be the contract.
    #[test]
    fn the_shipped_wit_is_the_contract() {
        assert_eq!(include_str!("../wit/destination.wit"), include_str!("../../../wit/v0.2.0/destination.wit"));
    }
}

//! WIT bindings, one module per contract version (`v0_1_0` for
//! `sluice:destination@0.1.0`, `v0_2_0` for `@0.2.0`). Each version module
//! converts its types into the host's own (`sluice_core::Description`,
//! [`crate::error::Error`]) and runs a [`Request`] into a [`Reply`], so the
//! rest of the host never depends on a particular WIT version. A module built
//! against 0.1.0 keeps loading and running unchanged.

use sluice_core::Description;
use wasmtime::component::Linker;
use wasmtime::Store;

use crate::error::Error;
use crate::state::GuestState;

pub mod v0_1_0;
pub mod v0_2_0;

/// One call into a guest, whatever its version.
pub enum Request {
    Describe,
    Perform { action: String, payload: String, settings: String },
    Batch { action: String, payloads: Vec<String>, settings: String },
    TestAuth { settings: String },
}

/// What the guest answered, in host types. Guest errors are not yet redacted.
pub enum Reply {
    Describe(Result<Description, String>),
    Perform(Result<GuestOutcome, Error>),
    Batch(Vec<Result<GuestOutcome, Error>>),
    TestAuth(Result<(), Error>),
}

#[derive(Debug, Clone)]
pub struct GuestOutcome {
    pub status: u16,
    pub body: String,
}

/// A component linked against one of the contract versions.
pub enum Pre {
    V0_1(v0_1_0::Linked),
    V0_2(v0_2_0::Linked),
}

impl Pre {
    /// The newest version the component exports.
    pub fn new(pre: wasmtime::component::InstancePre<GuestState>) -> Result<Pre, String> {
        match v0_2_0::Linked::new(pre.clone()) {
            Ok(p) => Ok(Pre::V0_2(p)),
            Err(e2) => v0_1_0::Linked::new(pre).map(Pre::V0_1).map_err(|e1| {
                format!(
                    "it exports neither sluice:destination/destination@0.2.0 ({e2}) nor @0.1.0 ({e1})"
                )
            }),
        }
    }

    pub fn version(&self) -> &'static str {
        match self {
            Pre::V0_1(_) => "0.1.0",
            Pre::V0_2(_) => "0.2.0",
        }
    }

    /// A new instance in `store`.
    pub async fn instantiate(&self, store: &mut Store<GuestState>) -> wasmtime::Result<wasmtime::component::Instance> {
        match self {
            Pre::V0_1(p) => p.pre.instantiate_async(store).await,
            Pre::V0_2(p) => p.pre.instantiate_async(store).await,
        }
    }

    /// Runs one request on `instance`, fresh or warm.
    pub async fn run(
        &self,
        store: &mut Store<GuestState>,
        instance: &wasmtime::component::Instance,
        request: &Request,
    ) -> wasmtime::Result<Reply> {
        match self {
            Pre::V0_1(p) => p.run(store, instance, request).await,
            Pre::V0_2(p) => p.run(store, instance, request).await,
        }
    }
}

/// Calls one export of an instance; only that export is looked up and its
/// type checked (the bindings' own `instantiate` checks all four).
async fn call<P, R>(
    store: &mut Store<GuestState>,
    instance: &wasmtime::component::Instance,
    export: &wasmtime::component::ComponentExportIndex,
    params: P,
) -> wasmtime::Result<R>
where
    P: wasmtime::component::ComponentNamedList + wasmtime::component::Lower + Send + Sync,
    R: wasmtime::component::ComponentNamedList + wasmtime::component::Lift + Send + Sync + 'static,
{
    let f = instance.get_typed_func::<P, R>(&mut *store, export)?;
    f.call_async(&mut *store, params).await
}

/// Both versions' imports (`http`, `log`) in one linker.
pub fn add_to_linker(l: &mut Linker<GuestState>) -> wasmtime::Result<()> {
    use wasmtime::component::HasSelf;
    v0_1_0::DestinationWorld::add_to_linker::<GuestState, HasSelf<GuestState>>(l, |s| s)?;
    v0_2_0::DestinationWorld::add_to_linker::<GuestState, HasSelf<GuestState>>(l, |s| s)?;
    Ok(())
}

/// The parts of a version module that are the same in every version, as a
/// macro because each version's bindgen types are distinct Rust types:
/// error conversions, fields, presets, running a request, and the host side
/// of `http` and `log` (which hand off to `GuestState`).
macro_rules! common {
    ($interface:literal) => {
        /// The interface the component exports.
        const INTERFACE: &str = $interface;

        use sluice_core::destination as core;

        pub use self::sluice::destination::{http, log, types};
        use crate::bindings::{GuestOutcome, Reply, Request};

        impl From<types::ErrorKind> for crate::error::Kind {
            fn from(k: types::ErrorKind) -> Self {
                use crate::error::Kind;
                use types::ErrorKind as W;
                match k {
                    W::Validation => Kind::Validation,
                    W::Auth => Kind::Auth,
                    W::RateLimited => Kind::RateLimited,
                    W::Retryable => Kind::Retryable,
                    W::Rejected => Kind::Rejected,
                    W::Egress => Kind::Egress,
                    W::Guest => Kind::Guest,
                }
            }
        }

        impl From<types::Error> for crate::error::Error {
            fn from(e: types::Error) -> Self {
                crate::error::Error::new(e.kind.into(), e.message).with_status(e.status)
            }
        }

        fn outcome(r: Result<types::Outcome, types::Error>) -> Result<GuestOutcome, crate::error::Error> {
            r.map(|o| GuestOutcome { status: o.status, body: o.body }).map_err(Into::into)
        }

        fn default_mapping(field: &str, json: Option<String>) -> Result<Option<serde_json::Value>, String> {
            json.map(|j| serde_json::from_str(&j).map_err(|e| format!("the default of field '{field}' is not JSON: {e}")))
                .transpose()
        }

        /// The members all three levels of field share; only `properties` differs.
        macro_rules! core_field {
            ($f:ident, $properties:expr) => {
                core::Field {
                    default: default_mapping(&$f.key, $f.default)?,
                    properties: $properties,
                    key: $f.key,
                    label: $f.label,
                    description: $f.description,
                    ty: $f.type_.into(),
                    required: $f.required,
                    multiple: $f.multiple,
                    choices: $f.choices,
                }
            };
        }

        fn field(f: types::Field) -> Result<core::Field, String> {
            Ok(core_field!(f, f.properties.into_iter().map(property).collect::<Result<_, _>>()?))
        }

        fn property(p: types::Property) -> Result<core::Field, String> {
            Ok(core_field!(p, p.properties.into_iter().map(sub_property).collect::<Result<_, _>>()?))
        }

        fn sub_property(p: types::SubProperty) -> Result<core::Field, String> {
            Ok(core_field!(p, Vec::new()))
        }

        fn presets(list: Vec<types::Preset>) -> Result<Vec<core::Preset>, String> {
            list.into_iter()
                .map(|p| {
                    Ok(core::Preset {
                        mapping: p
                            .mapping
                            .map(|m| serde_json::from_str(&m).map_err(|e| format!("preset '{}' mapping: {e}", p.name)))
                            .transpose()?,
                        name: p.name,
                        subscribe: p.subscribe,
                        action: p.action,
                    })
                })
                .collect()
        }

        fn settings(list: Vec<types::Setting>) -> Vec<core::Setting> {
            list.into_iter()
                .map(|s| core::Setting {
                    key: s.key,
                    label: s.label,
                    description: s.description,
                    ty: s.type_.into(),
                    required: s.required,
                    secret: s.secret,
                })
                .collect()
        }

        /// The component linked against this version, and where its exports
        /// are (found once, at load).
        pub struct Linked {
            pub(crate) pre: wasmtime::component::InstancePre<crate::state::GuestState>,
            describe: wasmtime::component::ComponentExportIndex,
            perform: wasmtime::component::ComponentExportIndex,
            perform_batch: wasmtime::component::ComponentExportIndex,
            test_authentication: wasmtime::component::ComponentExportIndex,
        }

        impl Linked {
            pub fn new(pre: wasmtime::component::InstancePre<crate::state::GuestState>) -> wasmtime::Result<Linked> {
                // The bindings name the interface or export that is missing.
                DestinationWorldPre::new(pre.clone())?;
                let component = pre.component();
                let export = |name: &str| {
                    let iface = component.get_export_index(None, INTERFACE);
                    component
                        .get_export_index(iface.as_ref(), name)
                        .ok_or_else(|| wasmtime::format_err!("{INTERFACE} has no export `{name}`"))
                };
                Ok(Linked {
                    describe: export("describe")?,
                    perform: export("perform")?,
                    perform_batch: export("perform-batch")?,
                    test_authentication: export("test-authentication")?,
                    pre,
                })
            }

            /// Runs one request on `i`, an instance of this component in `store`.
            pub async fn run(
                &self,
                store: &mut wasmtime::Store<crate::state::GuestState>,
                i: &wasmtime::component::Instance,
                request: &Request,
            ) -> wasmtime::Result<Reply> {
                use crate::bindings::call;
                Ok(match request {
                    Request::Describe => {
                        let (d,) = call::<(), (types::DestinationInfo,)>(store, i, &self.describe, ()).await?;
                        Reply::Describe(description(d))
                    }
                    Request::Perform { action, payload, settings } => {
                        let params = (action.as_str(), payload.as_str(), settings.as_str());
                        let (r,) = call::<_, (Result<types::Outcome, types::Error>,)>(store, i, &self.perform, params).await?;
                        Reply::Perform(outcome(r))
                    }
                    Request::Batch { action, payloads, settings } => {
                        let params = (action.as_str(), payloads.as_slice(), settings.as_str());
                        let (list,) =
                            call::<_, (Vec<Result<types::Outcome, types::Error>>,)>(store, i, &self.perform_batch, params).await?;
                        Reply::Batch(list.into_iter().map(outcome).collect())
                    }
                    Request::TestAuth { settings } => {
                        let params = (settings.as_str(),);
                        let (r,) = call::<_, (Result<(), types::Error>,)>(store, i, &self.test_authentication, params).await?;
                        Reply::TestAuth(r.map_err(Into::into))
                    }
                })
            }
        }

        impl types::Host for crate::state::GuestState {}

        impl http::Host for crate::state::GuestState {
            async fn send(&mut self, req: http::Request) -> Result<http::Response, http::HttpError> {
                use crate::egress::EgressError;
                let outbound = crate::egress::Outbound {
                    method: match req.method {
                        http::Method::Get => ::http::Method::GET,
                        http::Method::Head => ::http::Method::HEAD,
                        http::Method::Post => ::http::Method::POST,
                        http::Method::Put => ::http::Method::PUT,
                        http::Method::Patch => ::http::Method::PATCH,
                        http::Method::Delete => ::http::Method::DELETE,
                    },
                    url: req.url,
                    headers: req.headers,
                    body: req.body,
                    auth: req.auth,
                };
                match self.send_outbound(outbound).await {
                    Ok(r) => Ok(http::Response { status: r.status, headers: r.headers, body: r.body }),
                    Err(e) => Err(match e {
                        EgressError::Denied(m) => http::HttpError::Denied(m),
                        EgressError::Invalid(m) => http::HttpError::Invalid(m),
                        EgressError::RateLimited(m) => http::HttpError::RateLimited(m),
                        EgressError::Timeout(m) => http::HttpError::Timeout(m),
                        EgressError::TooLarge(m) => http::HttpError::TooLarge(m),
                        EgressError::Transport(m) => http::HttpError::Transport(m),
                    }),
                }
            }
        }

        impl log::Host for crate::state::GuestState {
            async fn log(&mut self, level: log::Level, message: String) {
                use crate::guest_log::Level;
                let level = match level {
                    log::Level::Trace => Level::Trace,
                    log::Level::Debug => Level::Debug,
                    log::Level::Info => Level::Info,
                    log::Level::Warn => Level::Warn,
                    log::Level::Error => Level::Error,
                };
                self.log.emit(&self.policy, level, &message);
            }
        }
    };
}
pub(crate) use common;

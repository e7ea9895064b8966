//! sluice: runs customer-data destinations as sandboxed WebAssembly components.
//!
//! The host owns everything that must be trusted. Each capability it grants a
//! guest lives in its own module with its threat model at the top:
//! [`egress`] (HTTP, allowlist), [`secrets`], [`budget`] (rate limits),
//! [`guest_log`], [`limits`] (memory and CPU), [`warm`] (instances kept for
//! their client's next call), [`footprint`] (the instance pool per component) and [`printable`] (guest text on the terminal). [`engine`] compiles, caches
//! and instantiates components; [`bindings`] holds one module per WIT version.
//! Mapping, validation and subscriptions live in `sluice-core`, with no Wasm.

pub(crate) mod bindings;
pub mod budget;
pub mod config;
pub mod delivery;
pub mod cache;
pub mod egress;
pub mod engine;
pub mod error;
pub mod files;
pub mod footprint;
pub mod guest_log;
pub mod metrics;
pub mod limits;
pub mod modules;
pub mod printable;
pub mod reload;
pub mod secrets;
pub mod store;
pub mod tracking;
pub mod warm;
mod state;

pub use engine::{Call, Client, Module, Options, Outcome, Runtime};
pub use error::{Error, Kind};

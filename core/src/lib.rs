//! What a destination is, and everything the host does to an event before a
//! guest sees it: the mapping kit, payload validation and subscriptions.
//!
//! Nothing here knows about WebAssembly, so all of it is tested without an engine.

pub mod destination;
pub mod mapping;
pub mod validate;
pub mod subscription;
pub mod prepare;
pub mod check;
pub mod origin;
mod json;

pub use destination::{
    Action, AuthBinding, BatchLimits, Description, Field, FieldType, Preset, RateBudget, Setting, SignatureEncoding,
};

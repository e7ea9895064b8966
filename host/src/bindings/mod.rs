//! WIT bindings, one module per contract version (`v0_1_0` for
//! `sluice:destination@0.1.0`). Each version module converts its types into the
//! host's own (`sluice_core::Description`, [`crate::error::Kind`]), so the rest of
//! the host never depends on a particular WIT version.

pub mod v0_1_0;

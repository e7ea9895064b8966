//! What one instance of a component takes from the instance pool, counted
//! from its binary, and what the pool holds per component.
//!
//! Threat: a component made of many core modules (an interpreter, libc and
//! their adapters: a Python guest has about 40) would exhaust a pool sized for
//! Rust guests and fail at its first call with wasmtime's "maximum concurrent
//! limit" instead of a clear refusal; a hostile one could ask for thousands.
//! Default: every component may use up to [`PER_COMPONENT`]; the pool holds
//! that much for each instance it allows at once, so a component within the
//! limits can never starve another, and one beyond them is refused at load
//! (and by `sluice validate`) with what it needs.

use wasmparser::{Instance, Parser, Payload};

/// Core instances, linear memories and tables one component instance holds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Footprint {
    pub core_instances: u32,
    pub memories: u32,
    pub tables: u32,
}

/// The most one component instance may hold. Rust and JavaScript guests use
/// a handful of each; a componentize-py guest about 40 core instances.
pub const PER_COMPONENT: Footprint = Footprint { core_instances: 64, memories: 8, tables: 64 };

impl Footprint {
    /// Counts every core instance the component creates (nested components
    /// included) and every memory and table its core modules define. A module
    /// instantiated twice counts its memories once here; the pool's own cap
    /// per component (the same numbers) still refuses it at instantiation.
    pub fn of(bytes: &[u8]) -> Result<Footprint, String> {
        let mut f = Footprint::default();
        for payload in Parser::new(0).parse_all(bytes) {
            match payload.map_err(|e| e.to_string())? {
                Payload::InstanceSection(section) => {
                    for instance in section {
                        if matches!(instance.map_err(|e| e.to_string())?, Instance::Instantiate { .. }) {
                            f.core_instances += 1;
                        }
                    }
                }
                Payload::MemorySection(section) => f.memories += section.count(),
                Payload::TableSection(section) => f.tables += section.count(),
                _ => {}
            }
        }
        Ok(f)
    }

    /// Why the component does not fit in [`PER_COMPONENT`], if it does not.
    pub fn check(&self) -> Result<(), String> {
        let over: Vec<String> = [
            ("core instances", self.core_instances, PER_COMPONENT.core_instances),
            ("memories", self.memories, PER_COMPONENT.memories),
            ("tables", self.tables, PER_COMPONENT.tables),
        ]
        .iter()
        .filter(|(_, n, max)| n > max)
        .map(|(what, n, max)| format!("{n} {what} (at most {max})"))
        .collect();
        if over.is_empty() {
            Ok(())
        } else {
            Err(format!("needs {} per instance; build it from fewer modules", over.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn component(core_instances: usize, memories_each: usize) -> Vec<u8> {
        let module = format!("(core module $m {})", "(memory 1)".repeat(memories_each));
        let instances: String = (0..core_instances).map(|i| format!("(core instance $i{i} (instantiate $m))")).collect();
        wat::parse_str(format!("(component {module} {instances})")).unwrap()
    }

    #[test]
    fn counts_instances_and_what_their_modules_define() {
        let f = Footprint::of(&component(3, 2)).unwrap();
        // Memories are counted per module definition (see `of`).
        assert_eq!(f, Footprint { core_instances: 3, memories: 2, tables: 0 });
        assert!(f.check().is_ok());
    }

    #[test]
    fn a_component_beyond_the_limits_is_told_what_it_needs() {
        let err = Footprint::of(&component(70, 9)).unwrap().check().unwrap_err();
        assert_eq!(err, "needs 70 core instances (at most 64), 9 memories (at most 8) per instance; build it from fewer modules");
    }

    #[test]
    fn nested_components_count() {
        let inner = "(component $c (core module $m (table 1 funcref)) (core instance (instantiate $m)))";
        let bytes = wat::parse_str(format!("(component {inner} (core module $n) (core instance (instantiate $n)))")).unwrap();
        assert_eq!(Footprint::of(&bytes).unwrap(), Footprint { core_instances: 2, memories: 0, tables: 1 });
    }
}

//! `@flatten` (`flatten.ts`): nested keys joined with a separator into one flat object.

use super::value::{in_js_order, Js, ObjectBuilder};

/// `flattenObject(value, '', separator, omitArrays)`. A primitive (or `undefined`) becomes
/// `{"": value}`; empty nested objects leave nothing behind.
pub(crate) fn flatten_object(value: Js, separator: &str, omit_arrays: bool) -> Js {
    let mut flat = ObjectBuilder::default();
    flatten_into(value, String::new(), separator, omit_arrays, &mut flat);
    flat.build()
}

fn flatten_into(
    value: Js,
    prefix: String,
    separator: &str,
    omit_arrays: bool,
    flat: &mut ObjectBuilder,
) {
    let entries = match value {
        Js::Object(entries) => in_js_order(entries),
        Js::Array(items) if !omit_arrays => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        leaf => return flat.set(prefix, leaf),
    };
    for (key, child) in entries {
        // An empty prefix is falsy in the reference, so `""` keys do not add a separator.
        let key = if prefix.is_empty() {
            key
        } else {
            format!("{prefix}{separator}{key}")
        };
        flatten_into(child, key, separator, omit_arrays, flat);
    }
}

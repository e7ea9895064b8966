//! Member lookups in serde_json objects. Events and payloads are small
//! objects, and for those comparing keys costs less than hashing them
//! (serde_json's map hashes every lookup with SipHash); larger objects use
//! the map's index.

use serde_json::{Map, Value};

/// Objects up to this many members are searched in order.
const SCAN_UP_TO: usize = 16;

pub(crate) fn get<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if map.len() > SCAN_UP_TO {
        return map.get(key);
    }
    map.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
}

pub(crate) fn get_mut<'a>(map: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Value> {
    if map.len() > SCAN_UP_TO {
        return map.get_mut(key);
    }
    map.iter_mut().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
}

pub(crate) fn contains(map: &Map<String, Value>, key: &str) -> bool {
    get(map, key).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_agree_with_the_map_at_every_size() {
        for n in 0..40 {
            let mut map: Map<String, Value> = (0..n).map(|i| (format!("k{i}"), Value::from(i))).collect();
            for key in (0..n + 2).map(|i| format!("k{i}")).chain(["".to_string(), "k".to_string()]) {
                assert_eq!(get(&map, &key), map.get(&key), "{n} {key}");
                assert_eq!(contains(&map, &key), map.contains_key(&key), "{n} {key}");
                let expected = map.get(&key).cloned();
                assert_eq!(get_mut(&mut map, &key).map(|v| v.clone()), expected, "{n} {key}");
            }
        }
    }
}

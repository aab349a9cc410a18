//! minijinja values for the template context.
//!
//! minijinja is built here without serde and kiln cannot name its IndexMap, so
//! maps are a small custom object that keeps insertion order (what llama.cpp's
//! ordered JSON does) and can report whether a key was read, which the
//! capability probes in [`super::caps`] use the way llama.cpp uses its value
//! usage statistics.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};

use super::json::Json;
use super::pyfmt;

/// An insertion-ordered map. `watch` names a key whose reads set `hit`.
#[derive(Debug)]
pub(crate) struct OrderedMap {
    entries: Vec<(Value, Value)>,
    watch: Option<(&'static str, Arc<AtomicBool>)>,
}

impl OrderedMap {
    pub(crate) fn value(entries: Vec<(Value, Value)>) -> Value {
        Value::from_object(OrderedMap {
            entries,
            watch: None,
        })
    }

    /// A map whose reads of `key` (attribute, item, iteration of items,
    /// `tojson`) set the returned flag.
    pub(crate) fn watched(
        entries: Vec<(Value, Value)>,
        key: &'static str,
    ) -> (Value, Arc<AtomicBool>) {
        let hit = Arc::new(AtomicBool::new(false));
        let map = OrderedMap {
            entries,
            watch: Some((key, hit.clone())),
        };
        (Value::from_object(map), hit)
    }
}

impl Object for OrderedMap {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let (_, v) = self.entries.iter().find(|(k, _)| k == key)?;
        if let Some((watched, hit)) = &self.watch
            && key.as_str() == Some(*watched)
        {
            hit.store(true, Ordering::Relaxed);
        }
        Some(v.clone())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        // Keys only: consumers that need values go through `get_value`,
        // which is what makes the watch flag see `|items` and `tojson`.
        Enumerator::Values(self.entries.iter().map(|(k, _)| k.clone()).collect())
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.entries.len())
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Printing a map is not a read of its values for the probes, and it
        // prints Python's repr like llama.cpp does.
        let mut out = String::new();
        pyfmt::write_map_repr(&mut out, &self.entries);
        f.write_str(&out)
    }
}

/// Converts the context tree into minijinja values.
pub(crate) fn to_value(json: &Json) -> Value {
    match json {
        Json::Null => Value::from(()),
        Json::Bool(b) => Value::from(*b),
        Json::Int(i) => Value::from(*i),
        Json::UInt(u) => Value::from(*u),
        Json::Float(f) => Value::from(*f),
        Json::Str(s) => Value::from(s.as_str()),
        Json::Arr(items) => Value::from(items.iter().map(to_value).collect::<Vec<_>>()),
        Json::Obj(pairs) => OrderedMap::value(
            pairs
                .iter()
                .map(|(k, v)| (Value::from(k.as_str()), to_value(v)))
                .collect(),
        ),
    }
}

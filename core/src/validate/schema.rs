//! Section 3.1: an action's fields as the JSON Schema the reference hands to ajv,
//! kept as a typed tree so the validator can walk it.

use serde_json::{json, Map, Value};

use crate::destination::{Field, FieldType};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonType {
    String,
    Number,
    Integer,
    Boolean,
    Null,
    Array,
    Object,
}

impl JsonType {
    pub(crate) fn name(self) -> &'static str {
        match self {
            JsonType::String => "string",
            JsonType::Number => "number",
            JsonType::Integer => "integer",
            JsonType::Boolean => "boolean",
            JsonType::Null => "null",
            JsonType::Array => "array",
            JsonType::Object => "object",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `text` and `password`: registered as always valid.
    Text,
    Password,
    DateLike,
    /// The `url` field type: an absolute URL (ajv's `uri`).
    Uri,
}

impl Format {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Password => "password",
            Format::DateLike => "date-like",
            Format::Uri => "uri",
        }
    }
}

/// The subset of JSON Schema that `fieldsToJsonSchema` produces.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Schema {
    /// The field label; `None` for the root and for array items.
    pub title: Option<String>,
    pub description: String,
    pub types: Vec<JsonType>,
    pub format: Option<Format>,
    pub default: Option<Value>,
    pub choices: Option<Vec<String>>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub items: Option<Box<Schema>>,
    /// `properties` + `required`, always with `additionalProperties: false`.
    pub object: Option<ObjectSchema>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ObjectSchema {
    pub properties: Vec<(String, Schema)>,
    pub required: Vec<String>,
}

impl ObjectSchema {
    pub(crate) fn property(&self, key: &str) -> Option<&Schema> {
        self.properties
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, s)| s)
    }

    pub(crate) fn has_property(&self, key: &str) -> bool {
        self.property(key).is_some()
    }

    fn from_fields(fields: &[Field]) -> Self {
        ObjectSchema {
            properties: fields
                .iter()
                .map(|f| (f.key.clone(), Schema::from_field(f)))
                .collect(),
            required: fields
                .iter()
                .filter(|f| f.required)
                .map(|f| f.key.clone())
                .collect(),
        }
    }
}

impl Schema {
    /// The root schema of an action: an object with exactly these fields.
    pub(crate) fn from_fields(fields: &[Field]) -> Self {
        Schema {
            types: vec![JsonType::Object],
            object: Some(ObjectSchema::from_fields(fields)),
            ..Schema::default()
        }
    }

    fn from_field(field: &Field) -> Self {
        let types = base_types(field.ty);
        let choices = (!field.choices.is_empty()).then(|| field.choices.clone());
        let nested = (field.ty == FieldType::Object && !field.properties.is_empty())
            .then(|| ObjectSchema::from_fields(&field.properties));
        let mut schema = Schema {
            title: Some(field.label.clone()),
            description: field.description.clone(),
            types: types.clone(),
            format: format_of(field.ty),
            default: field.default.clone(),
            ..Schema::default()
        };
        if field.multiple {
            // The enum moves into `items`; object items are the nested schema, untitled.
            let items = match nested {
                Some(object) => Schema {
                    types,
                    object: Some(object),
                    ..Schema::default()
                },
                None => Schema {
                    types,
                    choices,
                    ..Schema::default()
                },
            };
            schema.types = vec![JsonType::Array];
            schema.items = Some(Box::new(items));
        } else {
            schema.choices = choices;
            schema.object = nested;
        }
        schema
    }

    /// `type` holds `t` and nothing else (ajv's `types.length === 1 && types[0] === t`).
    pub(crate) fn is_only(&self, t: JsonType) -> bool {
        self.types == [t]
    }

    /// The JSON Schema document, as `fieldsToJsonSchema` would print it.
    pub(crate) fn to_json(&self) -> Value {
        let mut out = Map::new();
        if let Some(title) = &self.title {
            out.insert("title".into(), json!(title));
            out.insert("description".into(), json!(self.description));
        }
        if self.object.is_some() {
            out.insert("$schema".into(), json!("http://json-schema.org/schema#"));
        }
        out.insert("type".into(), types_json(&self.types));
        if let Some(format) = self.format {
            out.insert("format".into(), json!(format.name()));
        }
        if let Some(default) = &self.default {
            out.insert("default".into(), default.clone());
        }
        self.insert_limits(&mut out);
        if let Some(choices) = &self.choices {
            out.insert("enum".into(), json!(choices));
        }
        if let Some(items) = &self.items {
            out.insert("items".into(), items.to_json());
        }
        if let Some(object) = &self.object {
            let properties: Map<String, Value> = object
                .properties
                .iter()
                .map(|(k, s)| (k.clone(), s.to_json()))
                .collect();
            out.insert("additionalProperties".into(), json!(false));
            out.insert("properties".into(), Value::Object(properties));
            out.insert("required".into(), json!(object.required));
        }
        Value::Object(out)
    }

    fn insert_limits(&self, out: &mut Map<String, Value>) {
        let limits = [
            ("minLength", self.min_length.map(Value::from)),
            ("maxLength", self.max_length.map(Value::from)),
            ("minimum", self.minimum.map(Value::from)),
            ("maximum", self.maximum.map(Value::from)),
        ];
        for (key, value) in limits {
            if let Some(value) = value {
                out.insert(key.into(), value);
            }
        }
    }
}

fn base_types(ty: FieldType) -> Vec<JsonType> {
    match ty {
        FieldType::String | FieldType::Text | FieldType::Password | FieldType::Url => vec![JsonType::String],
        FieldType::Number => vec![JsonType::Number],
        FieldType::Integer => vec![JsonType::Integer],
        FieldType::Boolean => vec![JsonType::Boolean],
        FieldType::Datetime => vec![JsonType::String, JsonType::Number],
        FieldType::Object => vec![JsonType::Object],
    }
}

fn format_of(ty: FieldType) -> Option<Format> {
    match ty {
        FieldType::Text => Some(Format::Text),
        FieldType::Password => Some(Format::Password),
        FieldType::Datetime => Some(Format::DateLike),
        FieldType::Url => Some(Format::Uri),
        _ => None,
    }
}

fn types_json(types: &[JsonType]) -> Value {
    match types {
        [one] => json!(one.name()),
        many => json!(many.iter().map(|t| t.name()).collect::<Vec<_>>()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(key: &str, ty: FieldType) -> Field {
        Field::new(key, &key.to_uppercase(), ty)
    }

    #[test]
    fn json_schema_mirrors_fields_to_jsonschema() {
        let mut ids = field("ids", FieldType::Integer);
        ids.multiple = true;
        let mut state = field("state", FieldType::String);
        state.choices = vec!["open".into(), "closed".into()];
        let mut when = field("when", FieldType::Datetime);
        when.required = true;
        let mut data = field("data", FieldType::Object);
        data.multiple = true;
        data.properties = vec![{
            let mut id = field("id", FieldType::String);
            id.required = true;
            id
        }];
        let schema = Schema::from_fields(&[ids, state, when, data]).to_json();

        assert_eq!(schema["type"], "object");
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(schema["required"], json!(["when"]));
        let p = &schema["properties"];
        assert_eq!(p["ids"]["type"], "array");
        assert_eq!(p["ids"]["items"], json!({"type": "integer"}));
        assert_eq!(p["state"]["enum"], json!(["open", "closed"]));
        assert_eq!(p["when"]["type"], json!(["string", "number"]));
        assert_eq!(p["when"]["format"], "date-like");
        assert_eq!(p["data"]["items"]["required"], json!(["id"]));
        assert_eq!(p["data"]["items"]["additionalProperties"], false);
        assert!(p["data"]["items"].get("title").is_none());
    }
}

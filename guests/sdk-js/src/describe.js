// A destination described as data, close to how the reference writes its
// `index.ts` files: fields with labels, types and default mappings. The host
// maps and validates every payload against these fields before `perform`.

export const FieldType = Object.freeze({
  string: 'string', text: 'text', password: 'password', number: 'number', integer: 'integer',
  boolean: 'boolean', datetime: 'datetime', object: 'object', url: 'url',
});

export class Field {
  constructor(type, key, label) {
    this.key = key;
    this.label = label;
    this.type = type;
    this.description = '';
    this.isRequired = false;
    this.isMultiple = false;
    this.choiceList = [];
    this.defaultMapping = null;
    this.propertyList = [];
  }

  static string(key, label) { return new Field(FieldType.string, key, label); }
  static text(key, label) { return new Field(FieldType.text, key, label); }
  static integer(key, label) { return new Field(FieldType.integer, key, label); }
  static number(key, label) { return new Field(FieldType.number, key, label); }
  static boolean(key, label) { return new Field(FieldType.boolean, key, label); }
  static datetime(key, label) { return new Field(FieldType.datetime, key, label); }
  static url(key, label) { return new Field(FieldType.url, key, label); }
  static object(key, label) { return new Field(FieldType.object, key, label); }

  describe(description) { this.description = description; return this; }
  required() { this.isRequired = true; return this; }
  multiple() { this.isMultiple = true; return this; }
  choices(...choices) { this.choiceList = choices.flat(); return this; }
  properties(...fields) { this.propertyList = fields.flat(); return this; }

  /** A default mapping: a raw value or a directive such as `{ '@path': '$.userId' }`. */
  default(mapping) { this.defaultMapping = JSON.stringify(mapping); return this; }

  /** The contract's record at `depth` 0 (field), 1 (property) or 2 (sub-property). */
  toWit(depth = 0) {
    const wit = {
      key: this.key, label: this.label, description: this.description, type: this.type,
      required: this.isRequired, multiple: this.isMultiple, choices: this.choiceList, default: this.defaultMapping,
    };
    if (depth < 2) wit.properties = this.propertyList.map((p) => p.toWit(depth + 1));
    else if (this.propertyList.length) throw new TypeError(`${this.key}: the contract nests properties two levels deep at most`);
    return wit;
  }
}

/** A setting; `secret: true` keeps its value in the host (see `auth`). */
export function setting({ key, label, description = '', type = FieldType.string, required = false, secret = false }) {
  return { key, label, description, type, required, secret };
}

function batchLimits(action) {
  return action.batch ? { maxEvents: action.batch.maxEvents, maxBytes: action.batch.maxBytes } : null;
}

export function describe(d) {
  return {
    name: d.name,
    slug: d.slug,
    description: d.description ?? '',
    settings: (d.settings ?? []).map(setting),
    actions: d.actions.map((a) => ({
      key: a.key,
      title: a.title,
      description: a.description ?? '',
      fields: (a.fields ?? []).map((f) => f.toWit()),
      defaultSubscription: a.defaultSubscription ?? null,
      batch: batchLimits(a),
    })),
    presets: (d.presets ?? []).map((p) => ({
      name: p.name, subscribe: p.subscribe, action: p.action,
      mapping: p.mapping === undefined || p.mapping === null ? null : JSON.stringify(p.mapping),
    })),
    hosts: d.hosts ?? [],
    auth: (d.auth ?? []).map((b) => ({
      secret: b.secret, header: b.header, format: b.format, hosts: b.hosts ?? d.hosts ?? [], sign: b.sign ?? null,
    })),
    rateBudget: d.rateBudget ? { requests: d.rateBudget.requests, windowMs: d.rateBudget.windowMs } : null,
    testsAuthentication: typeof d.testAuthentication === 'function',
  };
}

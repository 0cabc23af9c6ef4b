#!/usr/bin/env node
// query.mjs runs SQL through an in-memory DuckDB database and prints the
// result of the last statement. It is an independent reader of the landerd
// lake: tests use it to prove that the Parquet files landerd writes can be
// read by software landerd did not write.
//
// Usage:
//   node query.mjs [--json] [FILE]     SQL from FILE, or from stdin when FILE is absent or "-"
//
// The SQL may hold several statements separated by semicolons; all run in
// order and the result of the last one is printed.
//
// Output without --json: a header line of column names, then one line per row,
// fields separated by tabs, each value written as in the JSON form (strings
// unquoted).
//
// Output with --json, one JSON document on stdout:
//   {"columns":[{"name":"...","type":"<DuckDB type name>"}, ...],
//    "rows":[{"<column>": value, ...}, ...]}
// Values are converted losslessly:
//   - NULL is null; BOOLEAN is true/false; VARCHAR, UUID, ENUM, BLOB, BIT, TIME
//     and INTERVAL are strings (DuckDB's own text form).
//   - TINYINT .. UBIGINT, HUGEINT and UHUGEINT are JSON integer literals written
//     digit for digit from DuckDB's value, never rounded through a double.
//     A reader must parse them as integers (or arbitrary-precision numbers),
//     not as float64, to keep values beyond 2^53 exact.
//   - FLOAT and DOUBLE are JSON numbers that always carry a decimal point or an
//     exponent (2.0, not 2), so they can be told apart from integers; NaN and
//     the infinities are the strings "NaN", "Infinity", "-Infinity".
//   - DECIMAL is a string holding the exact decimal digits, e.g. "12.340".
//   - DATE is "YYYY-MM-DD". TIMESTAMP WITH TIME ZONE is an ISO 8601 UTC string
//     with all six microsecond digits, e.g. "2026-01-01T12:34:56.123456Z";
//     TIMESTAMP (no zone) is the same without the "Z"; TIMESTAMP_S and
//     TIMESTAMP_MS keep their own precision (0 and 3 digits), TIMESTAMP_NS has
//     nine. Infinite timestamps are "infinity" and "-infinity".
//   - LIST and ARRAY are arrays, STRUCT is an object, MAP is an array of
//     {"key","value"} objects, UNION is {"tag","value"}.
//
// On failure the DuckDB error message goes to stderr and the exit code is 1;
// bad usage exits with 2.

import { readFileSync } from 'node:fs';
import {
  DuckDBInstance,
  DuckDBTypeId,
  JsonDuckDBValueConverter,
} from '@duckdb/node-api';

// JSONNumber is a number already rendered as JSON text; stringify writes its
// text as is, so integers wider than a double survive.
class JSONNumber {
  constructor(text) {
    this.text = text;
  }
}

const MICROS_PER_SECOND = 1_000_000n;
const MILLIS_LIMIT = 8_640_000_000_000_000n; // the range of a JavaScript Date

// isoFromUnits renders a count of sub-second units since the epoch (units per
// second given by perSecond, digits fractional digits) as ISO 8601.
function isoFromUnits(count, perSecond, digits, zone) {
  let seconds = count / perSecond;
  let frac = count % perSecond;
  if (frac < 0n) {
    frac += perSecond;
    seconds -= 1n;
  }
  const millis = seconds * 1000n;
  if (millis < -MILLIS_LIMIT || millis > MILLIS_LIMIT) {
    return null;
  }
  // toISOString gives YYYY-MM-DDTHH:MM:SS.000Z (or an extended ±YYYYYY year).
  const base = new Date(Number(millis)).toISOString().replace(/\.\d{3}Z$/, '');
  const fraction = digits > 0 ? '.' + frac.toString().padStart(digits, '0') : '';
  return base + fraction + (zone ? 'Z' : '');
}

// timestampConverter returns a converter for one timestamp flavour; field
// names the value property holding the count and perSecond its unit.
function timestampConverter(field, perSecond, digits, zone) {
  return (value) => {
    if (value.isFinite === false) {
      return value[field] > 0n ? 'infinity' : '-infinity';
    }
    const iso = isoFromUnits(BigInt(value[field]), perSecond, digits, zone);
    return iso ?? String(value);
  };
}

function integerConverter(value) {
  return new JSONNumber(BigInt(value).toString());
}

function floatConverter(value) {
  if (Number.isNaN(value)) {
    return 'NaN';
  }
  if (!Number.isFinite(value)) {
    return value > 0 ? 'Infinity' : '-Infinity';
  }
  let text = String(value);
  if (!/[.eE]/.test(text)) {
    text += '.0';
  }
  return new JSONNumber(text);
}

const converters = {
  [DuckDBTypeId.TINYINT]: integerConverter,
  [DuckDBTypeId.SMALLINT]: integerConverter,
  [DuckDBTypeId.INTEGER]: integerConverter,
  [DuckDBTypeId.BIGINT]: integerConverter,
  [DuckDBTypeId.UTINYINT]: integerConverter,
  [DuckDBTypeId.USMALLINT]: integerConverter,
  [DuckDBTypeId.UINTEGER]: integerConverter,
  [DuckDBTypeId.UBIGINT]: integerConverter,
  [DuckDBTypeId.HUGEINT]: integerConverter,
  [DuckDBTypeId.UHUGEINT]: integerConverter,
  [DuckDBTypeId.FLOAT]: floatConverter,
  [DuckDBTypeId.DOUBLE]: floatConverter,
  [DuckDBTypeId.DECIMAL]: (value) => String(value),
  [DuckDBTypeId.INTERVAL]: (value) => String(value),
  [DuckDBTypeId.TIMESTAMP]: timestampConverter('micros', MICROS_PER_SECOND, 6, false),
  [DuckDBTypeId.TIMESTAMP_TZ]: timestampConverter('micros', MICROS_PER_SECOND, 6, true),
  [DuckDBTypeId.TIMESTAMP_S]: timestampConverter('seconds', 1n, 0, false),
  [DuckDBTypeId.TIMESTAMP_MS]: timestampConverter('millis', 1000n, 3, false),
  [DuckDBTypeId.TIMESTAMP_NS]: timestampConverter('nanos', 1_000_000_000n, 9, false),
};

// convert turns one DuckDB value of the given type into a JSON-ready value.
// Types without an entry above use the library's JSON converter, which
// recurses through convert for nested values.
function convert(value, type, self) {
  if (value === null || value === undefined) {
    return null;
  }
  const own = converters[type.typeId];
  if (own) {
    return own(value, type, self);
  }
  return JsonDuckDBValueConverter(value, type, self);
}

function stringify(value) {
  if (value instanceof JSONNumber) {
    return value.text;
  }
  if (Array.isArray(value)) {
    return '[' + value.map(stringify).join(',') + ']';
  }
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value).map(
      ([k, v]) => JSON.stringify(k) + ':' + stringify(v),
    );
    return '{' + fields.join(',') + '}';
  }
  return JSON.stringify(value ?? null);
}

function plainText(value) {
  if (typeof value === 'string') {
    return value;
  }
  return stringify(value);
}

function usage(message) {
  process.stderr.write(`query.mjs: ${message}\nusage: node query.mjs [--json] [FILE]\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { json: false, file: null };
  for (const arg of argv) {
    if (arg === '--json') {
      opts.json = true;
    } else if (arg === '-h' || arg === '--help') {
      process.stdout.write('usage: node query.mjs [--json] [FILE]\n');
      process.exit(0);
    } else if (arg.startsWith('--')) {
      usage(`unknown flag ${arg}`);
    } else if (opts.file !== null) {
      usage('more than one SQL file given');
    } else {
      opts.file = arg;
    }
  }
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const sql = readFileSync(opts.file === null || opts.file === '-' ? 0 : opts.file, 'utf8');
  if (sql.trim() === '') {
    usage('no SQL given');
  }

  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const result = await connection.run(sql);
    const names = result.deduplicatedColumnNames();
    const types = result.columnTypes();
    const rows = await result.convertRowObjects(convert);

    if (opts.json) {
      const columns = names.map((name, i) => ({ name, type: types[i].toString() }));
      process.stdout.write(stringify({ columns, rows }) + '\n');
      return;
    }
    const lines = [names.join('\t')];
    for (const row of rows) {
      lines.push(names.map((name) => plainText(row[name])).join('\t'));
    }
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

main().catch((err) => {
  process.stderr.write(`${err && err.message ? err.message : err}\n`);
  process.exit(1);
});

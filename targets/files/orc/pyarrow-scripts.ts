/** Python snippets the ORC tests run with pyarrow (see pyarrow-support.ts). */

/** Reads an ORC file; prints {schema, rows, stripes, compression, columns: [[value…]…]} with exact, typed values. */
export const PY_READ = String.raw`
import sys, json, struct, datetime, decimal
import pyarrow as pa, pyarrow.orc as orc
f = orc.ORCFile(sys.argv[1])
def conv(v):
    if v is None or isinstance(v, bool) or isinstance(v, str): return v
    if isinstance(v, int): return 'i:' + str(v)
    if isinstance(v, float): return 'f:' + struct.pack('<d', v).hex()
    if isinstance(v, decimal.Decimal): return 'd:' + format(v, 'f')
    if isinstance(v, bytes): return 'b:' + v.hex()
    if isinstance(v, datetime.date): return v.isoformat()
    if isinstance(v, list): return [conv(x) for x in v]
    if isinstance(v, tuple): return [conv(x) for x in v]
    if isinstance(v, dict): return {k: conv(x) for k, x in v.items()}
    raise Exception('unexpected ' + repr(type(v)))
tab = f.read()
cols = []
for i, fld in enumerate(tab.schema):
    c = tab.column(i)
    if pa.types.is_timestamp(fld.type): c = c.cast(pa.int64())
    cols.append([conv(v) for v in c.to_pylist()])
print(json.dumps({"schema": [[x.name, str(x.type)] for x in tab.schema], "rows": f.nrows, "stripes": f.nstripes, "compression": str(f.compression), "columns": cols}))
`;

/** Writes an ORC file from a JSON spec {path, compression, stripe_size, batch_size, columns: [{name, type, values}]}. */
export const PY_WRITE = String.raw`
import sys, json, datetime, decimal
import pyarrow as pa, pyarrow.orc as orc
spec = json.loads(open(sys.argv[1]).read())
arrays, names = [], []
for c in spec['columns']:
    t = c['type']; vals = c['values']
    if t == 'int64': arr = pa.array([None if v is None else int(v) for v in vals], pa.int64())
    elif t == 'int32': arr = pa.array(vals, pa.int32())
    elif t == 'int16': arr = pa.array(vals, pa.int16())
    elif t == 'int8': arr = pa.array(vals, pa.int8())
    elif t == 'bool': arr = pa.array(vals, pa.bool_())
    elif t == 'float64': arr = pa.array([None if v is None else float(v) for v in vals], pa.float64())
    elif t == 'float32': arr = pa.array([None if v is None else float(v) for v in vals], pa.float32())
    elif t == 'string': arr = pa.array(vals, pa.string())
    elif t == 'binary': arr = pa.array([None if v is None else bytes.fromhex(v) for v in vals], pa.binary())
    elif t.startswith('decimal'):
        p, s = [int(x) for x in t[8:-1].split(',')]
        arr = pa.array([None if v is None else decimal.Decimal(v) for v in vals], pa.decimal128(p, s))
    elif t == 'date': arr = pa.array([None if v is None else datetime.date.fromisoformat(v) for v in vals], pa.date32())
    elif t == 'timestamp_ns': arr = pa.array([None if v is None else int(v) for v in vals], pa.int64()).cast(pa.timestamp('ns'))
    elif t == 'list_int64': arr = pa.array(vals, pa.list_(pa.int64()))
    elif t == 'map_string_int64': arr = pa.array([None if v is None else list(v.items()) for v in vals], pa.map_(pa.string(), pa.int64()))
    elif t == 'struct': arr = pa.array(vals, pa.struct([('a', pa.int64()), ('b', pa.string())]))
    else: raise Exception('type ' + t)
    arrays.append(arr); names.append(c['name'])
tab = pa.table(arrays, names=names)
orc.write_table(tab, spec['path'], compression=spec.get('compression', 'uncompressed'), stripe_size=spec.get('stripe_size', 64*1024*1024), batch_size=spec.get('batch_size', 1024), dictionary_key_size_threshold=spec.get('dict', 0.0))
print(json.dumps({"ok": True}))
`;

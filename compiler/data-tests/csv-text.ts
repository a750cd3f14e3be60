/**
 * A small RFC 4180 reader for unit-test fixtures (inline `rows: |` text or a fixture file).
 * An empty unquoted field is null; `""` is the empty string.
 */
export function parseCsvText(text: string): { header: string[]; rows: (string | null)[][] } {
  const records: (string | null)[][] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  let record: (string | null)[] = [];
  let i = 0;
  const endField = () => {
    record.push(wasQuoted ? field : field.trim() === '' ? null : field.trim());
    field = '';
    wasQuoted = false;
  };
  const endRecord = () => {
    endField();
    if (!(record.length === 1 && record[0] === null)) records.push(record);
    record = [];
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field.trim() === '') {
      quoted = true;
      wasQuoted = true;
      field = '';
    } else if (ch === ',') endField();
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
    } else field += ch;
    i++;
  }
  if (field !== '' || wasQuoted || record.length) endRecord();
  const [head, ...rows] = records;
  return { header: (head ?? []).map((h) => String(h ?? '').trim()), rows };
}

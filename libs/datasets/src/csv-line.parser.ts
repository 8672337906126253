/**
 * Splits one CSV record (RFC 4180: comma-separated, fields optionally in double quotes, a quote
 * inside quotes doubled) into its fields. Returns null when a quoted field is still open at the end
 * of the text: the record continues on the next line (the caller joins them with a newline).
 */
export function parseCsvRecord(text: string): string[] | null {
  const fields: string[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    if (i < n && text.charCodeAt(i) === 34 /* " */) {
      let value = '';
      i++;
      for (;;) {
        const close = text.indexOf('"', i);
        if (close < 0) return null;
        value += text.slice(i, close);
        if (text.charCodeAt(close + 1) === 34) {
          value += '"';
          i = close + 2;
          continue;
        }
        i = close + 1;
        break;
      }
      // Anything between the closing quote and the comma is kept, as most readers do.
      const comma = text.indexOf(',', i);
      const end = comma < 0 ? n : comma;
      fields.push(value + text.slice(i, end));
      if (comma < 0) return fields;
      i = comma + 1;
    } else {
      const comma = text.indexOf(',', i);
      if (comma < 0) {
        fields.push(text.slice(i));
        return fields;
      }
      fields.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
}

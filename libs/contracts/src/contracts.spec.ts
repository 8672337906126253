import { Type, type Schema } from 'avsc';
import { describe, expect, it } from 'vitest';
import { SAMPLE_RECORDS } from '../../../tests/support/sample-records';
import { readAvroSchema } from './schema-files';
import { TOPIC_SPECS, Topics, deadLetterTopic, valueSubject } from './topics';

function fieldsOf(schema: Record<string, unknown>): { name: string; doc?: string }[] {
  return schema.fields as { name: string; doc?: string }[];
}

describe('Avro contracts', () => {
  const primary = TOPIC_SPECS.filter((s) => s.schemaFile !== null);

  it('has a schema for each of the eight topics of the loop, and a dead-letter topic for each consumed one', () => {
    expect(primary.map((s) => s.name).sort()).toEqual(Object.values(Topics).sort());
    expect(TOPIC_SPECS.map((s) => s.name)).toContain(deadLetterTopic(Topics.transactions));
    expect(valueSubject(Topics.scores)).toBe('tx.scores.v1-value');
  });

  it.each(primary.map((s) => [s.name, s.schemaFile ?? ''] as const))(
    '%s: the TypeScript type has exactly the schema fields and a typed sample is valid Avro',
    (topic, file) => {
      const schema = readAvroSchema(file);
      const sample = SAMPLE_RECORDS[topic as keyof typeof SAMPLE_RECORDS];
      expect(Object.keys(sample).sort()).toEqual(
        fieldsOf(schema)
          .map((f) => f.name)
          .sort(),
      );
      const type = Type.forSchema(schema as Schema);
      const errors: string[] = [];
      const valid = type.isValid(sample, { errorHook: (path) => errors.push(path.join('.')) });
      expect(errors).toEqual([]);
      expect(valid).toBe(true);
      expect(type.fromBuffer(type.toBuffer(sample))).toEqual(sample);
    },
  );

  it.each(primary.map((s) => [s.name, s.schemaFile ?? ''] as const))(
    '%s: every field is documented',
    (_topic, file) => {
      const schema = readAvroSchema(file);
      expect(typeof schema.doc).toBe('string');
      const undocumented = fieldsOf(schema).filter((f) => !f.doc || f.doc.length < 10);
      expect(undocumented.map((f) => f.name)).toEqual([]);
    },
  );

  it('rejects a record that breaks the contract (negative amount is a validation concern, a missing field is a schema one)', () => {
    const type = Type.forSchema(readAvroSchema('tx.transactions.v1.avsc') as Schema);
    const { card_id: _dropped, ...withoutCard } = SAMPLE_RECORDS['tx.transactions.v1'];
    expect(type.isValid(withoutCard)).toBe(false);
    expect(type.isValid({ ...SAMPLE_RECORDS['tx.transactions.v1'], channel: 'TELEPATHY' })).toBe(false);
  });
});

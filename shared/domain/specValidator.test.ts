// Maps of a body (tags) keep every name the body gives, checked like any other: names of Object.prototype's
// members are ordinary names, and '__proto__' (no key of a plain object) is a 400 naming it, never a silent drop.
import { validateAgainstDefinition } from './specValidator';
import { targetOf } from '../../test/support/refusals';

// Bodies come from JSON.parse, which makes '__proto__' an own property like any other.
const parse = (text: string): unknown => JSON.parse(text);

test('tags named like Object.prototype members are kept', () => {
  const body = parse(
    '{"location":"eastus","tags":{"constructor":"a","toString":"b","valueOf":"c","hasOwnProperty":"e","ok":"d"}}',
  );
  const { value } = validateAgainstDefinition('WorkspaceCreateParameters', body);
  expect({ ...(value.tags as object) }).toEqual({
    constructor: 'a',
    toString: 'b',
    valueOf: 'c',
    hasOwnProperty: 'e',
    ok: 'd',
  });
});

test('a tag value that is not a string is a 400 naming it, whatever the tag is called', () => {
  const body = parse('{"location":"eastus","tags":{"constructor":"a","hasOwnProperty":5,"ok":"d"}}');
  expect(targetOf(() => validateAgainstDefinition('WorkspaceCreateParameters', body))).toBe(
    'tags.hasOwnProperty',
  );
  expect(
    targetOf(() => validateAgainstDefinition('WorkspaceCreateParameters', { location: 'x', tags: { a: 5 } })),
  ).toBe('tags.a');
});

test("a '__proto__' tag is a 400 naming it (a PATCH with it wiped every tag)", () => {
  const patch = parse('{"tags":{"__proto__":{"x":"y"}}}');
  expect(targetOf(() => validateAgainstDefinition('WorkspaceUpdateParameters', patch))).toBe(
    'tags.__proto__',
  );
  const put = parse('{"location":"eastus","tags":{"__proto__":"a","ok":"b"}}');
  expect(targetOf(() => validateAgainstDefinition('WorkspaceCreateParameters', put))).toBe('tags.__proto__');
});

test('properties of the schema are read from the body itself, never from Object.prototype', () => {
  // 'location' is required: an object without it is refused even though every object "has" a constructor.
  expect(
    targetOf(() => validateAgainstDefinition('WorkspaceCreateParameters', Object.create({ location: 'x' }))),
  ).toBe('location');
});

test('a missing required property given under a near name says which: the typo, dropped as unknown', () => {
  const refusal = (body: unknown): string => {
    try {
      validateAgainstDefinition('ClusterCreateParameters', body);
    } catch (error: unknown) {
      return (error as Error).message;
    }
    throw new Error('not refused');
  };
  const scaleSettings = { manual: { targetNodeCount: 1 } };
  expect(refusal({ properties: { vmSzie: 'STANDARD_NC6', scaleSettings } })).toBe(
    "The property 'properties.vmSize' is required. The body has 'properties.vmSzie', which is not a property " +
      "here: did you mean 'vmSize'?",
  );
  // Nothing near: the error alone.
  expect(refusal({ properties: { machine: 'STANDARD_NC6', scaleSettings } })).toBe(
    "The property 'properties.vmSize' is required.",
  );
});

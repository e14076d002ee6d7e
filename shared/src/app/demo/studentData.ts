import type { Item } from '../../tables/source/dynamoJson';

const FIRST = [
  'Ada',
  'Alan',
  'Grace',
  'Linus',
  'Barbara',
  'Dennis',
  'Margaret',
  'Ken',
  'Frances',
  'Edsger',
  'Radia',
  'Donald',
];
const LAST = [
  'Lovelace',
  'Turing',
  'Hopper',
  'Torvalds',
  'Liskov',
  'Ritchie',
  'Hamilton',
  'Thompson',
  'Allen',
  'Dijkstra',
  'Perlman',
  'Knuth',
];
const CLASSES = ['Mathematics', 'Physics', 'Chemistry', 'Biology', 'History', 'Literature', 'Computer Science', 'Art'];

/** A small deterministic PRNG (mulberry32), so the demo's data is the same on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The workshop's studentData table: StudentId, FullName, Class, DateOfBirth, Email. */
export function studentItems(count: number, seed = 42): Item[] {
  const random = prng(seed);
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)]!;
  return Array.from({ length: count }, (_, i) => {
    const first = pick(FIRST);
    const last = pick(LAST);
    const year = 1995 + Math.floor(random() * 12);
    const month = String(1 + Math.floor(random() * 12)).padStart(2, '0');
    const day = String(1 + Math.floor(random() * 28)).padStart(2, '0');
    return {
      StudentId: { S: `S${String(i + 1).padStart(6, '0')}` },
      FullName: { S: `${first} ${last}` },
      Class: { S: pick(CLASSES) },
      DateOfBirth: { S: `${year}-${month}-${day}` },
      Email: { S: `${first}.${last}.${i + 1}@example.edu`.toLowerCase() },
    };
  });
}

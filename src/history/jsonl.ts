/** JSON Lines reading that survives what a crash leaves behind: a torn last line, a garbled line. */

export interface JsonLine {
  /** 1-based line number in the file. */
  line: number;
  value: unknown;
}

export interface BadLine {
  line: number;
  reason: string;
}

export interface ParsedJsonLines {
  values: JsonLine[];
  bad: BadLine[];
  /** Non-empty lines, readable or not: what the file costs to read. */
  lines: number;
  /** False when the file ends inside a line, so the next append must start a new line first. */
  endsClean: boolean;
}

export function parseJsonLines(text: string): ParsedJsonLines {
  const values: JsonLine[] = [];
  const bad: BadLine[] = [];
  const parts = text.split('\n');
  const endsClean = text.length === 0 || text.endsWith('\n');
  let lines = 0;
  parts.forEach((part, index) => {
    if (part.trim() === '') return;
    lines++;
    const torn = !endsClean && index === parts.length - 1;
    try {
      values.push({ line: index + 1, value: JSON.parse(part) });
    } catch (error) {
      bad.push({ line: index + 1, reason: torn ? 'torn last line' : `not JSON (${(error as Error).message})` });
    }
  });
  return { values, bad, lines, endsClean };
}

/** One value as one line. JSON.stringify never emits a raw newline, so a line is always a whole record. */
export function toJsonLine(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

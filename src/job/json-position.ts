/**
 * Where JSON text first goes wrong. V8's JSON.parse names the position for some errors only
 * ("Unexpected token 'x', "…" is not valid JSON" has none), and a syntax error must say line and
 * column, so this small scanner finds the offset itself. It only locates; JSON.parse decides.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const space = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const literal = (word: string): void => {
    for (const ch of word) {
      if (text[i] !== ch) fail();
      i++;
    }
  };
  const string = (): void => {
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      const code = text.charCodeAt(i);
      if (code < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = (): void => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail();
    i += m![0].length;
  };
  const scalar = (): void => {
    const ch = text[i];
    if (ch === '"') string();
    else if (ch === 't') literal('true');
    else if (ch === 'f') literal('false');
    else if (ch === 'n') literal('null');
    else if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) number();
    else fail();
  };
  const key = (): void => {
    space();
    if (text[i] !== '"') fail();
    string();
    space();
    if (text[i] !== ':') fail();
    i++;
  };
  // A loop with a stack of open containers, not recursion: text nested 50 000 deep would overflow
  // the call stack and lose the position this function exists to find.
  const walk = (): void => {
    const closers: string[] = [];
    for (;;) {
      space();
      const ch = text[i];
      if (ch === '{' || ch === '[') {
        const close = ch === '{' ? '}' : ']';
        i++;
        space();
        if (text[i] === close) i++;
        else {
          closers.push(close);
          if (close === '}') key();
          continue;
        }
      } else scalar();
      // After a value: close what ends here, or go on after a comma.
      for (;;) {
        const close = closers.at(-1);
        if (close === undefined) return;
        space();
        if (text[i] === ',') {
          i++;
          if (close === '}') key();
          break;
        }
        if (text[i] !== close) fail();
        i++;
        closers.pop();
      }
    }
  };
  try {
    walk();
    space();
    return i < text.length ? i : text.length;
  } catch (at) {
    return Math.min(at as number, text.length);
  }
}

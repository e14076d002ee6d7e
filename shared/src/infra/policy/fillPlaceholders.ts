/**
 * Placeholders a connected account can fill: the account ID and the region (and the partition),
 * however a policy writes them — `<AWS_ACCOUNT_ID>`, `{{Account}}`, `<Region>`, or a CloudFormation
 * pseudo parameter left in a plain policy (`${AWS::AccountId}`). Editors offer it as a quick fix.
 */

/** What fills them: the caller's identity (STS GetCallerIdentity) and the region in use. */
export interface AccountValues {
  account: string;
  region: string;
  partition?: string;
}

export interface PlaceholderFill {
  /** The placeholder as written, e.g. `<AWS_ACCOUNT_ID>`. */
  placeholder: string;
  value: string;
  /** Every occurrence of it in the text, as offsets. */
  edits: { start: number; end: number; text: string }[];
}

const TOKEN = /<([A-Za-z][A-Za-z0-9 _.:-]*)>|\{\{([^{}]+)\}\}|\$\{AWS::([A-Za-z]+)\}/g;

/** The value a placeholder's name stands for, if the account knows it. */
function valueFor(name: string, values: AccountValues): string | undefined {
  const key = name.toLowerCase().replace(/[^a-z]/g, '');
  if (['accountid', 'awsaccountid', 'account', 'accountnumber', 'awsaccount'].includes(key)) return values.account;
  if (['region', 'awsregion', 'regionname'].includes(key)) return values.region;
  if (['partition', 'awspartition'].includes(key)) return values.partition ?? 'aws';
  return undefined;
}

/**
 * The fills for the placeholders between `start` and `end` (a finding's range), each applied to
 * every place the document writes the same placeholder. Empty when none is the account's to fill.
 */
export function placeholderFills(text: string, start: number, end: number, values: AccountValues): PlaceholderFill[] {
  const fills: PlaceholderFill[] = [];
  for (const m of text.slice(start, end).matchAll(TOKEN)) {
    const placeholder = m[0];
    const value = valueFor(m[1] ?? m[2] ?? m[3] ?? '', values);
    if (!value || fills.some((f) => f.placeholder === placeholder)) continue;
    const edits: PlaceholderFill['edits'] = [];
    for (let at = text.indexOf(placeholder); at >= 0; at = text.indexOf(placeholder, at + placeholder.length))
      edits.push({ start: at, end: at + placeholder.length, text: value });
    fills.push({ placeholder, value, edits });
  }
  return fills;
}

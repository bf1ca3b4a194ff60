/**
 * Formats a value must have whatever the document says: ISO 4217 currencies (and how many
 * decimals each counts), IBAN checksums (ISO 13616), calendar dates, VAT numbers by country.
 */

// The currencies and their minor units come from the ICU data Node ships (CLDR): no table to keep.
let currencies: Set<string> | undefined;
export function isCurrencyCode(code: string): boolean {
  currencies ??= new Set(Intl.supportedValuesOf('currency'));
  return currencies.has(code);
}

const decimalsCache = new Map<string, number>();
/** Decimals of a currency's amounts (JPY 0, EUR 2, KWD 3); 2 when the code is unknown. */
export function currencyDecimals(code: string | null | undefined): number {
  if (!code || !isCurrencyCode(code)) return 2;
  let d = decimalsCache.get(code);
  if (d === undefined) {
    d = new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
    decimalsCache.set(code, d);
  }
  return d;
}

/** A `YYYY-MM-DD` date that exists in the calendar. */
export function isCalendarDate(v: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/** An IBAN without spaces, upper case. */
function normaliseIban(v: string): string {
  return v.replace(/[\s-]/g, '').toUpperCase();
}

/** ISO 13616: two letters, two check digits, up to 30 letters and digits; mod 97 of the rearranged number is 1. */
export function ibanValid(raw: string): boolean {
  const iban = normaliseIban(raw);
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const digits = code >= 65 ? String(code - 55) : ch;
    for (const digit of digits) rest = (rest * 10 + Number(digit)) % 97;
  }
  return rest === 1;
}

/**
 * The form of a VAT number in each country that has one, after its two-letter prefix (EU member
 * states as VIES gives them, with Greece as EL, plus GB, CH, NO). Only the form: the number's own
 * check digits and whether it is registered are the tax authority's to say.
 */
const VAT_FORMS: Readonly<Record<string, RegExp>> = {
  AT: /^U\d{8}$/,
  BE: /^[01]\d{9}$/,
  BG: /^\d{9,10}$/,
  CY: /^\d{8}[A-Z]$/,
  CZ: /^\d{8,10}$/,
  DE: /^\d{9}$/,
  DK: /^\d{8}$/,
  EE: /^\d{9}$/,
  EL: /^\d{9}$/,
  ES: /^[A-Z0-9]\d{7}[A-Z0-9]$/,
  FI: /^\d{8}$/,
  FR: /^[A-HJ-NP-Z0-9]{2}\d{9}$/,
  HR: /^\d{11}$/,
  HU: /^\d{8}$/,
  IE: /^(\d{7}[A-W][A-I]?|\d[A-Z+*]\d{5}[A-W])$/,
  IT: /^\d{11}$/,
  LT: /^(\d{9}|\d{12})$/,
  LU: /^\d{8}$/,
  LV: /^\d{11}$/,
  MT: /^\d{8}$/,
  NL: /^\d{9}B\d{2}$/,
  PL: /^\d{10}$/,
  PT: /^\d{9}$/,
  RO: /^\d{2,10}$/,
  SE: /^\d{10}01$/,
  SI: /^\d{8}$/,
  SK: /^\d{10}$/,
  XI: /^(\d{9}|\d{12}|GD\d{3}|HA\d{3})$/,
  GB: /^(\d{9}|\d{12}|GD\d{3}|HA\d{3})$/,
  CH: /^E?\d{9}(MWST|TVA|IVA)?$/,
  NO: /^\d{9}(MVA)?$/,
};

/** Country codes whose VAT prefix differs from ISO 3166. */
const VAT_PREFIX: Readonly<Record<string, string>> = { GR: 'EL' };

/**
 * Whether a VAT number has the form of its country: the country is the number's own prefix, else
 * `country` (the document's). Null when no form is known for either (nothing to say).
 */
export function vatFormValid(raw: string, country: string | null): boolean | null {
  const v = raw.replace(/[\s.\-/]/g, '').toUpperCase();
  const prefix = v.slice(0, 2);
  if (/^[A-Z]{2}$/.test(prefix) && VAT_FORMS[VAT_PREFIX[prefix] ?? prefix]) {
    const form = VAT_FORMS[VAT_PREFIX[prefix] ?? prefix]!;
    // Switzerland writes CHE-123.456.789 MWST: the E belongs to the prefix.
    return form.test(v.slice(2));
  }
  const c = country ? (VAT_PREFIX[country.toUpperCase()] ?? country.toUpperCase()) : null;
  const form = c ? VAT_FORMS[c] : undefined;
  return form ? form.test(v) : null;
}

/** A registration type that says VAT, in the languages of the countries above. */
export function isVatType(type: string): boolean {
  return /\b(vat|tva|ust|mwst|iva|btw|moms|alv|dph|dic|dič|pvm|pvn|afm|fpa|oib|nip|mva|vat[_ ]?number|tax[_ ]?id)\b/i.test(type.replace(/_/g, ' '));
}

/**
 * A document URL, checked as Mindee would check it before fetching it: https, with a host, no
 * credentials, within Mindee's length limit. This server never fetches it.
 */
import { MindeeInputError } from './errors.js';

/** Mindee's own limit on document URLs. */
const MAX_URL_LENGTH = 2048;

/** What a caller needs to know about document URLs (for descriptions and messages). */
const URL_FETCH_NOTE =
  'Mindee fetches the URL itself, from its own servers, and does not follow redirects: give the final, publicly reachable https address of the document (a pre-signed link works).';

/** A document URL Mindee would not fetch. */
class UrlRefused extends MindeeInputError {
  static override defaultCode = 'url_refused' as const;
}

export function prepareUrl(input: string): { kind: 'url'; url: string } {
  const text = typeof input === 'string' ? input.trim() : '';
  if (text === '') {
    throw new UrlRefused('The document URL is empty.', { hint: `Give the https URL of the document. ${URL_FETCH_NOTE}` });
  }
  if (text.length > MAX_URL_LENGTH) {
    throw new UrlRefused(`The document URL is ${text.length} characters long; Mindee accepts URLs of at most ${MAX_URL_LENGTH}.`, {
      hint: 'Use a shorter link to the document (for example a shorter pre-signed URL), or download it into an allowed directory and send it as a local file.',
    });
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UrlRefused(`"${text.length > 200 ? `${text.slice(0, 200)}…` : text}" is not a valid URL.`, {
      hint: 'Give a complete https URL such as https://example.com/invoice.pdf; for a local file, give its path instead.',
    });
  }
  if (url.protocol !== 'https:') {
    const scheme = url.protocol.replace(/:$/, '');
    throw new UrlRefused(`The document URL uses ${scheme}:, but Mindee only fetches https URLs.`, {
      hint:
        scheme === 'file'
          ? 'This is a local file: give its path instead of a URL.'
          : scheme === 'http'
            ? `Use the https:// address of the document, or download it into an allowed directory and send it as a local file. ${URL_FETCH_NOTE}`
            : 'Give a public https URL of the document, or download it into an allowed directory and send it as a local file.',
    });
  }
  // The URL parser makes a host of the first path segment ("https:///invoice.pdf" → host "invoice.pdf"):
  // a URL is read only as written, "https://" then the host.
  if (!/^https:\/\/[^/\\?#@]/i.test(text)) {
    throw new UrlRefused(`The document URL "${text.length > 200 ? `${text.slice(0, 200)}…` : text}" has no host: it must be written https://<host>/<path>.`, {
      hint: 'Give the complete address of the document, such as https://example.com/invoice.pdf; for a local file, give its path instead.',
    });
  }
  if (url.username !== '' || url.password !== '') {
    throw new UrlRefused(`The document URL contains credentials (user:password@ before ${url.host}): refused, as they would be sent to Mindee and end up in its fetcher's logs.`, {
      hint: 'Use a link that needs no login (a public or pre-signed https URL), or download the file into an allowed directory and send it as a local file.',
    });
  }
  if (url.href.length > MAX_URL_LENGTH) {
    throw new UrlRefused(`The document URL is ${url.href.length} characters long once encoded; Mindee accepts URLs of at most ${MAX_URL_LENGTH}.`, {
      hint: 'Use a shorter link to the document, or download it into an allowed directory and send it as a local file.',
    });
  }
  return { kind: 'url', url: url.href };
}

/** What a URL setting may have beyond an http(s) origin. */
export interface UrlAllowance {
  path?: boolean;
  query?: boolean;
  fragment?: boolean;
}

/**
 * What is wrong with a URL setting of a channel account, as the end of a message that names the
 * setting ("… must not carry credentials"), or null when it is an absolute http(s) URL with no
 * credentials and nothing beyond what `allow` lets through. One rule for every channel's config.
 */
export function urlSettingProblem(value: string, allow: UrlAllowance): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an absolute http(s) URL';
  if (url.username !== '' || url.password !== '') return 'must not carry credentials';
  if (!allow.path && url.pathname !== '/' && url.pathname !== '') return 'must be an origin, without a path';
  if (!allow.query && url.search !== '') return 'must not carry a query';
  if (!allow.fragment && url.hash !== '') return 'must not carry a fragment';
  return null;
}

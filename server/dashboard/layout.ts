// The page shell every dashboard page shares: head, skip link, navigation, main, footer.
import { assetUrl } from './assets.ts';
import { html, type SafeHtml } from './html.ts';

export type Section = 'overview' | 'timeline' | 'call-changes' | 'other';

export interface PageOptions {
  title: string;
  section: Section;
  body: SafeHtml;
  /** extra scripts (asset names), loaded deferred after app.js */
  scripts?: string[];
  /** extra stylesheets (asset names) */
  styles?: string[];
}

export function layout(o: PageOptions): SafeHtml {
  const nav = (section: Section, href: string, label: string) =>
    html`<a href="${href}"${o.section === section ? html` aria-current="page"` : ''}>${label}</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · relapse</title>
<link rel="icon" href="${assetUrl('favicon.svg')}" type="image/svg+xml">
${(o.styles ?? []).map((s) => html`<link rel="stylesheet" href="${assetUrl(s)}">\n`)}<link rel="stylesheet" href="${assetUrl('app.css')}">
${(o.scripts ?? []).map((s) => html`<script src="${assetUrl(s)}" defer></script>\n`)}<script src="${assetUrl('app.js')}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/">relapse</a>
  <nav aria-label="Main">
    ${nav('overview', '/', 'Regressions')}
    ${nav('timeline', '/timeline', 'Timeline')}
    ${nav('call-changes', '/call-changes', 'Call changes')}
  </nav>
</header>
<main id="main" tabindex="-1">
${o.body}
</main>
<footer class="foot"><a href="/docs">API reference</a> · <a href="/api/health">health</a></footer>
</body>
</html>
`;
}

/** A small error page (404 and the like). */
export function errorPage(title: string, message: string): SafeHtml {
  return layout({ title, section: 'other', body: html`<h1>${title}</h1><p>${message}</p><p><a href="/">Back to the overview</a></p>` });
}

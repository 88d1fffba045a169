/**
 * The page at `/` when there is no demo studio to show (PURSE_DEMO=0, or the
 * web app is not built): what this server is, and where to go — the operator
 * console and the API reference. End users see credits inside the app's own
 * pages, through the React components (README, "Components for your app").
 */
export function landingPage({ console: hasConsole }: { console: boolean }): string {
  const links = [
    ...(hasConsole ? ['<li><a href="/console" data-testid="landing-console">Operator console</a> — customers, grants, refunds, catalog and reports, with a secret API key</li>'] : []),
    '<li><a href="/docs" data-testid="landing-docs">API reference</a> — every route, rendered from <a href="/openapi.json">/openapi.json</a></li>',
  ];
  const note = hasConsole
    ? 'This server runs without the demo studio (<code>PURSE_DEMO=0</code>): your users see their credits inside your app, through its backend and Purse’s React components.'
    : 'The web app is not built (<code>npm run build</code>), so only the API is served.';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<title>Purse</title>
<style>
  body { margin: 0; font-family: ui-sans-serif, system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; color: #1c1733; background: #f7f6fb; line-height: 1.5; }
  main { max-width: 640px; margin: 0 auto; padding: 48px 20px; }
  h1 { margin: 0 0 8px; font-size: 1.75rem; color: #5b3fd6; }
  p { margin: 0 0 20px; }
  ul { padding: 0; list-style: none; display: flex; flex-direction: column; gap: 12px; }
  li { background: #fff; border: 1px solid #e3e0ee; border-radius: 12px; padding: 14px 16px; }
  a { color: #4429b8; font-weight: 600; }
  a:focus-visible { outline: 3px solid #4429b8; outline-offset: 2px; border-radius: 4px; }
  code { font-size: 0.9em; }
</style>
</head>
<body>
<main>
<h1>Purse</h1>
<p>Credits for generative-AI apps. ${note}</p>
<ul>${links.join('')}</ul>
</main>
</body>
</html>`;
}

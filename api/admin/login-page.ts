/** What the sign-in form shows: a problem with the last try, and where to go after. */
export interface LoginPage {
  action: string
  next: string
  email?: string
  problem?: string
}

/** Only these may appear in a page; everything a visitor sent goes through it. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/**
 * The sign-in form of the queue dashboard: one self-contained page (no
 * script, no outside asset), so it needs nothing that sits behind the sign-in.
 */
export function renderLoginPage(page: LoginPage): string {
  const problem = page.problem
    ? `<p class="problem" role="alert">${escapeHtml(page.problem)}</p>`
    : ''
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Sign in · NukeVideo queues</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f4f5f7; display: grid;
         place-items: center; min-height: 100vh; margin: 0; }
  form { background: #fff; padding: 2rem; border-radius: 8px; width: 20rem;
         box-shadow: 0 1px 4px rgb(0 0 0 / 15%); }
  h1 { font-size: 1.2rem; margin: 0 0 1rem; }
  label { display: block; margin: 0.75rem 0 0.25rem; font-size: 0.9rem; }
  input { width: 100%; box-sizing: border-box; padding: 0.5rem; font: inherit; }
  button { margin-top: 1.25rem; width: 100%; padding: 0.6rem; font: inherit; cursor: pointer; }
  .problem { color: #a4001d; font-size: 0.9rem; }
</style>
</head>
<body>
<form method="post" action="${escapeHtml(page.action)}">
  <h1>NukeVideo queues</h1>
  ${problem}
  <label for="email">E-mail</label>
  <input id="email" name="email" type="email" autocomplete="username" required
         value="${escapeHtml(page.email ?? '')}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <input type="hidden" name="next" value="${escapeHtml(page.next)}">
  <button type="submit">Sign in</button>
</form>
</body>
</html>
`
}

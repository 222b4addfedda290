import {useCallback, useEffect, useState} from 'react';
import Portal from './Portal.jsx';

// A router of a few lines (a real app has React Router): the path, and links that push it.
function usePath() {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const moved = () => setPath(location.pathname);
    addEventListener('popstate', moved);
    return () => removeEventListener('popstate', moved);
  }, []);
  const go = useCallback((to) => { history.pushState(null, '', to); setPath(to); }, []);
  return [path, go];
}

function Link({to, go, children}) {
  return <a href={to} onClick={(e) => { e.preventDefault(); go(to); }}>{children}</a>;
}

// What the portal told the page, for anyone curious (and the sample's tests).
window.billflowSampleEvents = [];

export default function App() {
  const [path, go] = usePath();
  const [me, setMe] = useState(undefined);  // undefined: asking; null: signed out

  const ask = useCallback(async () => {
    const answer = await fetch('/api/me');
    setMe(answer.ok ? await answer.json() : null);
  }, []);
  useEffect(() => { ask(); }, [ask]);

  const signIn = async (event) => {
    event.preventDefault();
    const email = new FormData(event.target).get('email');
    const answer = await fetch('/api/login', {method: 'POST', body: JSON.stringify({email}),
      headers: {'Content-Type': 'application/json'}});
    if (answer.ok) { await ask(); go('/billing'); }
  };
  const signOut = async () => {
    await fetch('/api/logout', {method: 'POST'});
    setMe(null);
    go('/');
  };

  if (me === undefined) return <p>Loading…</p>;
  return (
    <>
      <header>
        <strong>Acme Analytics</strong>
        <nav>
          <Link to="/" go={go}>Home</Link> <Link to="/billing" go={go}>Billing</Link>
        </nav>
        {me && <p>Signed in as {me.email} <button type="button" onClick={signOut}>Sign out</button></p>}
      </header>
      <main>
        {!me && (
          <form onSubmit={signIn}>
            <h1>Sign in</h1>
            <label>Email <input name="email" type="email" required defaultValue="ada@example.com" /></label>
            <button type="submit">Sign in</button>
          </form>
        )}
        {me && path === '/billing' && (
          <>
            <h1>Billing</h1>
            <Portal me={me} onEvent={(event) => window.billflowSampleEvents.push(event)} />
          </>
        )}
        {me && path !== '/billing' && <h1>Welcome back</h1>}
      </main>
    </>
  );
}

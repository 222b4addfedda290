'use client';
import {useRouter} from 'next/navigation';
import {signedChanged, useMe} from './me.js';

export default function Home() {
  const me = useMe();
  const router = useRouter();
  const signIn = async (event) => {
    event.preventDefault();
    const email = new FormData(event.target).get('email');
    const answer = await fetch('/api/login', {method: 'POST', body: JSON.stringify({email}),
      headers: {'Content-Type': 'application/json'}});
    if (answer.ok) { signedChanged(); router.push('/billing'); }
  };
  if (me === undefined) return <p>Loading…</p>;
  if (me) return <h1>Welcome back</h1>;
  return (
    <form onSubmit={signIn}>
      <h1>Sign in</h1>
      <label>Email <input name="email" type="email" required defaultValue="ada@example.com" /></label>
      <button type="submit">Sign in</button>
    </form>
  );
}

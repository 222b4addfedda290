'use client';
import Link from 'next/link';
import {useRouter} from 'next/navigation';
import {signedChanged, useMe} from './me.js';

export default function Header() {
  const me = useMe();
  const router = useRouter();
  const signOut = async () => {
    await fetch('/api/logout', {method: 'POST'});
    signedChanged();
    router.push('/');
  };
  return (
    <header>
      <strong>Acme Analytics</strong>
      <nav><Link href="/">Home</Link> <Link href="/billing">Billing</Link></nav>
      {me && <p>Signed in as {me.email} <button type="button" onClick={signOut}>Sign out</button></p>}
    </header>
  );
}

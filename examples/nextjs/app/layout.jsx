import Header from './header.jsx';
import './style.css';

export const metadata = {title: 'Acme Analytics (Next.js)'};

export default function RootLayout({children}) {
  return (
    <html lang="en">
      <body>
        <Header />
        <main>{children}</main>
      </body>
    </html>
  );
}

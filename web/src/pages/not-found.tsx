import { Link } from 'wouter';
import { useTitle } from '../lib/use-title';

export function NotFoundPage() {
  useTitle('Page not found');
  return (
    <section className="card narrow center">
      <h1>Page not found</h1>
      <p className="muted">There is nothing at this address.</p>
      <Link href="/" className="btn btn-primary">
        Back to the studio
      </Link>
    </section>
  );
}

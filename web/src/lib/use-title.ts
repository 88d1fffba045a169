import { useEffect } from 'react';

/** Sets the document title, so each page has its own name in tabs and history. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Purse`;
  }, [title]);
}

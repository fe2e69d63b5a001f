import { useSyncExternalStore } from "react";

const nothingToWatch = () => () => {};

/**
 * False in the server's HTML and until React has taken over the page, true
 * after. Buttons whose work is JavaScript's stay disabled until then, so an
 * early click is never lost, nor a form posted without the script.
 */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    nothingToWatch,
    () => true,
    () => false,
  );
}

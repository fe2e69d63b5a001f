"use client";

/**
 * Form parts shared by every page: a labelled field with allauth's errors for
 * it beside it (named by its aria-describedby), the errors that name no field
 * above the form, and a submit button that says it is busy.
 *
 * Fields are uncontrolled: a typed password lives only in its input, never
 * in React state, the page's HTML or a URL (forms are POST, and JavaScript
 * sends them). The browser's own validation is off (noValidate): every error
 * is the service's, in the page's language, beside its field.
 */
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from "react";

import { ServiceUnavailable, type ApiError } from "@/lib/api";
import { useHydrated } from "./hydrated";
import { useI18n } from "./I18nProvider";

export type FieldProps = {
  name: string;
  label: string;
  type?: "email" | "password" | "text";
  autoComplete: string;
  errors: ApiError[];
  hint?: string;
  inputMode?: "numeric" | "text" | "email";
  defaultValue?: string;
};

export function Field({ name, label, type = "text", autoComplete, errors, hint, inputMode, defaultValue }: FieldProps) {
  const id = useId();
  const mine = errors.filter((error) => error.param === name);
  const described = [hint ? `${id}-hint` : "", mine.length ? `${id}-errors` : ""].filter(Boolean).join(" ");
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
      <input
        id={id}
        name={name}
        type={type}
        autoComplete={autoComplete}
        inputMode={inputMode}
        defaultValue={defaultValue}
        required
        aria-invalid={mine.length > 0 || undefined}
        aria-describedby={described || undefined}
        spellCheck={false}
        autoCapitalize="none"
      />
      {mine.length > 0 && (
        <ul id={`${id}-errors`} className="field-errors">
          {mine.map((error) => (
            <li key={`${error.code}:${error.message}`}>{error.message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Errors that name no field of this form: above it, announced at once. */
export function FormErrors({ errors, fields }: { errors: ApiError[]; fields: string[] }) {
  const general = errors.filter((error) => !error.param || !fields.includes(error.param));
  if (general.length === 0) return null;
  return (
    <div className="alert" role="alert">
      {general.map((error) => (
        <p key={`${error.code}:${error.message}`}>{error.message}</p>
      ))}
    </div>
  );
}

/** The page's readable answer when the service cannot be reached. */
export function Unavailable({ onRetry }: { onRetry?: () => void }) {
  const { t } = useI18n();
  return (
    <div className="alert" role="alert">
      <p>{t("error.unavailable")}</p>
      {onRetry && (
        <button type="button" className="secondary" onClick={onRetry}>
          {t("error.retry")}
        </button>
      )}
    </div>
  );
}

export function Notice({ children }: { children: ReactNode }) {
  return (
    <div className="notice" role="status">
      {children}
    </div>
  );
}

export function Submit({ busy, children }: { busy: boolean; children: ReactNode }) {
  const { t } = useI18n();
  const hydrated = useHydrated();
  return (
    <button type="submit" disabled={busy || !hydrated} aria-busy={busy || undefined}>
      {busy ? t("pending") : children}
    </button>
  );
}

/**
 * A form that JavaScript sends (before it has loaded, a POST to this page:
 * never a password in a URL). Above its fields: the errors that name none of
 * `fields`, or the service being unreachable. After errors, focus moves to
 * the first field they name, else to the alert, so a screen reader hears them.
 */
export function Form({
  form: { errors, unavailable, submit },
  fields,
  onValues,
  children,
}: {
  form: FormState;
  fields: string[];
  onValues: (values: Record<string, string>) => Promise<void>;
  children: ReactNode;
}) {
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (errors.length === 0 && !unavailable) return;
    const form = formRef.current;
    const target =
      form?.querySelector<HTMLElement>("[aria-invalid=true]") ??
      form?.querySelector<HTMLElement>("[role=alert]");
    if (target?.getAttribute("role") === "alert") target.tabIndex = -1;
    target?.focus();
  }, [errors, unavailable]);
  return (
    <form ref={formRef} method="post" noValidate onSubmit={submit(onValues)}>
      <FormErrors errors={errors} fields={fields} />
      {unavailable && <Unavailable />}
      {children}
    </form>
  );
}

export type FormState = ReturnType<typeof useForm>;

/**
 * A form's state: busy while it is sent, the service's errors, and whether
 * the service could not be reached. `submit(handler)` reads the fields and
 * runs `handler` with their values.
 */
export function useForm() {
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<ApiError[]>([]);
  const [unavailable, setUnavailable] = useState(false);

  const submit =
    (handler: (values: Record<string, string>) => Promise<void>) =>
    async (event: FormEvent<HTMLFormElement>) => {
      event.preventDefault();
      const values: Record<string, string> = {};
      for (const [name, value] of new FormData(event.currentTarget)) {
        if (typeof value === "string") values[name] = value;
      }
      setBusy(true);
      setUnavailable(false);
      try {
        await handler(values);
      } catch (error) {
        if (!(error instanceof ServiceUnavailable)) throw error;
        setUnavailable(true);
      } finally {
        setBusy(false);
      }
    };

  return { busy, errors, setErrors, unavailable, submit };
}

"use client";

/**
 * The second step of a sign-in, for an account with a second factor: the
 * authenticator app's code, or one of the recovery codes. The pending
 * sign-in lives in this tab's memory (lib/session.ts); without it (a reload,
 * or allauth forgot it) the person starts again.
 */
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState, useSyncExternalStore } from "react";

import { Field, Form, Submit, useForm } from "@/components/forms";
import { useI18n } from "@/components/I18nProvider";
import { secondFactor } from "@/lib/auth";
import { pendingSignInStep } from "@/lib/session";

const FIELDS = ["code"];
const nothingToWatch = () => () => {};

export function SecondFactorForm() {
  const { t } = useI18n();
  const router = useRouter();
  const form = useForm();
  const pending = useSyncExternalStore(nothingToWatch, pendingSignInStep, () => undefined);
  const [recovery, setRecovery] = useState(false);
  // While a code is sent, the pending sign-in may go on purpose (done).
  const sending = useRef(false);

  useEffect(() => {
    if (pending === null && !sending.current) router.replace("/signin?reason=restart");
  }, [pending, router]);

  async function onValues({ code = "" }: Record<string, string>) {
    sending.current = true;
    const outcome = await secondFactor(code.replace(/\s+/g, ""));
    switch (outcome.kind) {
      case "signed-in":
        router.push("/account");
        return;
      case "refused":
        sending.current = false;
        form.setErrors(outcome.errors);
        return;
      default:
        router.replace("/signin?reason=restart");
    }
  }

  if (!pending) return <h1>{t("mfa.title")}</h1>;
  const canUseRecovery = pending.types.includes("recovery_codes");
  return (
    <>
      <h1>{t("mfa.title")}</h1>
      <p>{recovery ? t("mfa.recoveryPrompt") : t("mfa.totpPrompt")}</p>
      <Form form={form} fields={FIELDS} onValues={onValues}>
        <Field
          key={recovery ? "recovery" : "totp"}
          name="code"
          label={recovery ? t("mfa.recoveryLabel") : t("mfa.totpLabel")}
          autoComplete="one-time-code"
          inputMode={recovery ? "text" : "numeric"}
          errors={form.errors}
        />
        <p className="actions">
          <Submit busy={form.busy}>{t("mfa.submit")}</Submit>
          {canUseRecovery && (
            <button
              type="button"
              className="link-button"
              onClick={() => {
                setRecovery(!recovery);
                form.setErrors([]);
              }}
            >
              {recovery ? t("mfa.useTotp") : t("mfa.useRecovery")}
            </button>
          )}
        </p>
      </Form>
    </>
  );
}

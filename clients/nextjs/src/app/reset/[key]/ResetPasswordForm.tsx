"use client";

/**
 * Choose a new password, from the emailed link: the key is checked first, so
 * a used or expired link says so before anyone types a password. Then to
 * sign in, with "your password is changed".
 */
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";

import { Field, Form, Submit, Unavailable, useForm } from "@/components/forms";
import { useI18n } from "@/components/I18nProvider";
import { ServiceUnavailable } from "@/lib/api";
import { checkResetKey, resetPassword } from "@/lib/auth";

const FIELDS = ["password"];

type State = "checking" | "valid" | "invalid" | "unavailable";

async function checkKey(key: string): Promise<State> {
  try {
    return (await checkResetKey(key)) ? "valid" : "invalid";
  } catch (error) {
    if (!(error instanceof ServiceUnavailable)) throw error;
    return "unavailable";
  }
}

export function ResetPasswordForm({ resetKey }: { resetKey: string }) {
  const { t } = useI18n();
  const router = useRouter();
  const form = useForm();
  const [state, setState] = useState<State>("checking");

  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    void checkKey(resetKey).then((checked) => {
      if (live) setState(checked);
    });
    return () => {
      live = false;
    };
  }, [resetKey, attempt]);

  async function onValues({ password = "" }: Record<string, string>) {
    const outcome = await resetPassword(resetKey, password);
    if (outcome.kind === "reset") {
      router.push("/signin?reason=reset");
      return;
    }
    // A refusal about the key itself: the link has been used or expired.
    if (outcome.errors.some((error) => error.param === "key")) {
      setState("invalid");
      return;
    }
    form.setErrors(outcome.errors);
  }

  return (
    <>
      <h1>{t("reset.title")}</h1>
      {state === "checking" && <p role="status">{t("reset.checking")}</p>}
      {state === "unavailable" && (
        <Unavailable
          onRetry={() => {
            setState("checking");
            setAttempt((n) => n + 1);
          }}
        />
      )}
      {state === "invalid" && (
        <>
          <div className="alert" role="alert">
            <p>{t("reset.invalid")}</p>
          </div>
          <p>
            <Link href="/forgot-password">{t("reset.again")}</Link>
          </p>
        </>
      )}
      {state === "valid" && (
        <Form form={form} fields={FIELDS} onValues={onValues}>
          <Field
            name="password"
            type="password"
            label={t("field.newPassword")}
            hint={t("field.passwordHint")}
            autoComplete="new-password"
            errors={form.errors}
          />
          <p className="actions">
            <Submit busy={form.busy}>{t("reset.submit")}</Submit>
          </p>
        </Form>
      )}
    </>
  );
}

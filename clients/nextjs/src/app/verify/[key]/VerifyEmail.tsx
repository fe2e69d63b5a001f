"use client";

/**
 * The verification link's page. It checks the key, names the address, and
 * verifies on a click, never on opening: mail scanners that fetch links must
 * not use them up (the service's own page works the same way).
 */
import Link from "next/link";
import { useEffect, useState } from "react";

import { Notice, Unavailable } from "@/components/forms";
import { useI18n } from "@/components/I18nProvider";
import { ServiceUnavailable } from "@/lib/api";
import { checkVerificationKey, verifyEmail } from "@/lib/auth";

type State =
  | { step: "checking" }
  | { step: "prompt"; email: string; busy: boolean }
  | { step: "verified"; signedUpHere: boolean }
  | { step: "invalid" }
  | { step: "unavailable"; retry: () => void };

type Checked = { step: "prompt"; email: string } | { step: "invalid" } | { step: "unavailable" };

async function checkKey(key: string): Promise<Checked> {
  try {
    const link = await checkVerificationKey(key);
    return link.kind === "valid" ? { step: "prompt", email: link.email } : { step: "invalid" };
  } catch (error) {
    if (!(error instanceof ServiceUnavailable)) throw error;
    return { step: "unavailable" };
  }
}

export function VerifyEmail({ verificationKey }: { verificationKey: string }) {
  const { t } = useI18n();
  const [state, setState] = useState<State>({ step: "checking" });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    void checkKey(verificationKey).then((checked) => {
      if (!live) return;
      if (checked.step === "prompt") setState({ ...checked, busy: false });
      else if (checked.step === "invalid") setState(checked);
      else
        setState({
          step: "unavailable",
          retry: () => {
            setState({ step: "checking" });
            setAttempt((n) => n + 1);
          },
        });
    });
    return () => {
      live = false;
    };
  }, [verificationKey, attempt]);

  async function verify(email: string) {
    setState({ step: "prompt", email, busy: true });
    try {
      const outcome = await verifyEmail(verificationKey);
      setState(outcome.kind === "verified" ? { step: "verified", signedUpHere: outcome.signedUpHere } : { step: "invalid" });
    } catch (error) {
      if (!(error instanceof ServiceUnavailable)) throw error;
      setState({ step: "unavailable", retry: () => void verify(email) });
    }
  }

  return (
    <>
      <h1>{t("verify.title")}</h1>
      {state.step === "checking" && <p role="status">{t("verify.checking")}</p>}
      {state.step === "prompt" && (
        <>
          <p>{t("verify.prompt", { email: state.email })}</p>
          <p className="actions">
            <button type="button" onClick={() => void verify(state.email)} disabled={state.busy} aria-busy={state.busy || undefined}>
              {state.busy ? t("pending") : t("verify.submit")}
            </button>
          </p>
        </>
      )}
      {state.step === "verified" && (
        <>
          <Notice>
            <p>{state.signedUpHere ? t("verify.done") : t("verify.doneElsewhere")}</p>
          </Notice>
          {state.signedUpHere && (
            <p className="actions">
              <Link className="button" href="/signin">
                {t("nav.signin")}
              </Link>
            </p>
          )}
        </>
      )}
      {state.step === "invalid" && (
        <div className="alert" role="alert">
          <p>{t("verify.invalid")}</p>
          <p>{t("verify.invalidHelp")}</p>
        </div>
      )}
      {state.step === "unavailable" && <Unavailable onRetry={state.retry} />}
    </>
  );
}

import { render } from "preact";
import { App } from "./app.tsx";
import { ErrorBox } from "./ui.tsx";

const root = document.getElementById("app")!;
try {
  render(<App />, root);
} catch (e) {
  render(<ErrorBox error={e} />, root);
}

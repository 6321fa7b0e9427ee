// The image viewer: dwv renders one series at a time; scroll through it with the wheel, the
// buttons or the arrow keys, drag for window/level, or pick one of the series' presets.
import { App, AppOptions, ToolConfig, ViewConfig } from "dwv";

export function viewer(container) {
  const app = new App();
  const options = new AppOptions({ "*": [new ViewConfig(container.id)] });
  options.tools = { Scroll: new ToolConfig(), WindowLevel: new ToolConfig(), ZoomAndPan: new ToolConfig() };
  app.init(options);
  let loaded = false;
  const ready = [];
  app.addEventListener("load", () => {
    app.setTool("WindowLevel");
    loaded = true;
    ready.splice(0).forEach((resolve) => resolve());
  });
  container.addEventListener("wheel", (event) => {
    event.preventDefault();
    step(event.deltaY > 0 ? 1 : -1);
  });
  container.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowRight") step(1);
    else if (event.key === "ArrowUp" || event.key === "ArrowLeft") step(-1);
    else return;
    event.preventDefault();
  });

  function controller() {
    return app.getActiveLayerGroup()?.getActiveViewLayer()?.getViewController();
  }

  function step(direction) {
    const view = controller();
    if (!view) return;
    const dim = view.getScrollDimIndex();
    const index = view.getCurrentIndex();
    view.setCurrentIndex(direction > 0 ? index.next(dim) : index.previous(dim));
  }

  return {
    /** Show the images at `urls` (presigned GETs of one series). */
    show(urls) {
      loaded = false;
      app.reset();
      app.loadURLs(urls, { forceLoader: "dicom" });
      return new Promise((resolve) => (loaded ? resolve() : ready.push(resolve)));
    },
    step,
    /** The 0-based position in the series and its length, for the position label. */
    position() {
      const view = controller();
      if (!view) return null;
      const dim = view.getScrollDimIndex();
      return { index: view.getCurrentIndex().getValues()[dim], count: view.getImageSize().getValues()[dim] };
    },
    presets() {
      return controller()?.getWindowLevelPresetsNames() ?? [];
    },
    preset(name) {
      controller()?.setWindowLevelPreset(name);
    },
    resize() {
      app.onResize();
    },
  };
}

// Wiring only: builds the API client, the router and the controller, hands view.js's gestures
// to the controller and starts routing. What anything does lives in controller.js.

import { createApi } from "./api.js";
import { API_BASE_URL } from "./config.js";
import { createController } from "./controller.js";
import { createRouter } from "./router.js";
import * as store from "./store.js";
import * as view from "./view.js";

const api = createApi(API_BASE_URL, () => controller.token());
const router = createRouter((hash) => controller.route(hash));
const controller = createController({ api, view, store, router });

view.bindSignIn(controller.signIn);
view.bindButtons({
  "sign-out": controller.signOut,
  refresh: controller.refresh,
  pause: controller.togglePause,
  "prev-page": controller.previousPage,
  "next-page": controller.nextPage,
  "close-detail": controller.closeDetail,
  "show-older": controller.showOlder,
  "add-customer": controller.openAddCustomer,
  "export-csv": controller.exportCsv,
  "adjust-points": controller.openAdjust,
  "edit-name": controller.openRename,
  "download-data": controller.downloadCustomerData,
  "erase-customer": controller.openErase,
  "import-customers": controller.openImport,
});
view.bindInterval(controller.changeInterval);
view.bindSearch(controller.search);
view.bindProgramme({ onDraft: controller.previewDraft, onSave: controller.saveProgramme });
view.bindRewards({ onSave: controller.saveRewards });
view.bindReport({ onPick: controller.pickReport, onCsv: controller.downloadReportCsv });
view.bindPageSignals({
  onOnline: controller.lookNow,
  onFocus: controller.lookNow,
  onVisibility: controller.visibilityChanged,
});

router.start();

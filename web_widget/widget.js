/*
 * MSK self-referral chat widget: a Web Component with its own Shadow DOM and styles, no
 * dependencies. Embed it with one tag (see web_widget/README.md):
 *
 *   <script src="https://example.nhs.uk/widget/widget.js" data-gateway="/api/v1/chat"
 *           data-title="Refer yourself" data-mode="web"></script>
 *
 * It talks only to the chat gateway (POST {message, conversation_id} -> {conversation_id,
 * messages}). Everything the patient or the bot says is shown with textContent, never parsed
 * as markup. Links come only from the signposting marker and must be https. In "web" mode the
 * conversation survives navigation within the tab (sessionStorage) and, once a referral was sent
 * or the chat ended, is cleared by "Clear this chat" or after CLEAR_AFTER_MINUTES unused (a
 * computer may be shared); in "kiosk" mode nothing is stored, links become QR codes, the details
 * go as soon as the patient has noted their referral reference, and inactivity blurs, then
 * clears everything.
 */
(function () {
  "use strict";

  var TAG = "msk-chat-widget";
  var STORAGE_KEY = "msk-chat-widget:v1";
  var MAX_HISTORY = 300;
  var MAX_FIELD_CHARS = 600;
  // The most quick-reply buttons shown (the read-back's "What would you like to change?" has 13;
  // once the widget showed only 12 and "Work" could not be tapped).
  var MAX_BUTTONS = 20;
  var OPENING_MESSAGE = "/greet";
  var RESTART_MESSAGE = "/restart";
  var LEVELS = { soon: 1, urgent: 2, emergency: 3 };
  // Web: after a referral was sent or the chat ended, the chat is cleared after this long with
  // no activity on the page (shared computers). Said in the end message.
  var CLEAR_AFTER_MINUTES = 15;
  var ACTIVITY_EVENTS = ["pointerdown", "keydown", "input", "wheel", "touchstart"];
  // The bot marks the last words of a chat (content/responses.yml: utter_goodbye,
  // utter_stopped) with the end marker custom.end: the end message then offers to clear it.

  var script = document.currentScript;
  if (!script || !window.customElements || window.customElements.get(TAG)) {
    return;
  }

  // Widget chrome. The bot's own words (including escalation advice) come from content/.
  var TEXT = {
    launcher: "Refer yourself: start a chat",
    launcherContinue: "Continue your chat",
    // After an escalation the closed chat still says there is advice to act on.
    launcherEscalated: {
      emergency: "Emergency advice: reopen your chat",
      urgent: "Urgent advice: reopen your chat",
      soon: "Advice to see your GP: reopen your chat",
    },
    close: "Close",
    closeLabel: "Close chat (your chat is kept)",
    startAgain: "Start again",
    endChat: "End chat",
    finish: "Finish",
    notice: "Not for emergencies. In an emergency call ",
    noticeMiddle: ". For urgent help call ",
    noticeEnd: ".",
    you: "You said: ",
    assistant: "Assistant: ",
    log: "Conversation",
    replies: "Choose an answer",
    inputLabel: "Type your answer",
    send: "Send",
    typing: "The assistant is typing",
    unavailable:
      "Sorry, the assistant is not available just now. Please try again in a minute. " +
      "If you need help now, call NHS 111, or 999 in an emergency.",
    confirmRestart: "Start again? Your answers so far will be cleared and nothing will be sent.",
    confirmRestartYes: "Yes, start again",
    confirmEnd: "End this chat? Anything you have not finished will not be sent.",
    confirmEndYes: "Yes, end chat",
    confirmFinish: "Finish and clear the screen? Anything you have not finished will not be sent.",
    confirmFinishYes: "Yes, finish",
    confirmNo: "No, carry on",
    confirmClose: "If other people use this device, clear this chat before you close it.",
    confirmCloseReferred: "Your referral has been sent. ",
    confirmCloseKeep: "Keep it and close",
    clearChat: "Clear this chat",
    cleared: "This chat has been cleared.",
    startNew: "Start a new chat",
    suggested: "Pages that may help:",
    // A card's link names its page: "Back pain: read on NHS website (opens in a new tab)".
    readOn: ": read on ",
    readPage: ": read this page",
    newTab: " (opens in a new tab)",
    scan: "Scan with your phone camera to read this later.",
    noLink: "Ask a member of staff for this information.",
    referralLabel: "Your referral reference",
    referralQueued: "Your referral is saved and will be sent shortly.",
    referralSent: "Your referral has been sent.",
    noteIt:
      'Write it down or take a photo of it. Then tap "I have noted it" to clear your details from this screen.',
    noted: "I have noted it",
    detailsCleared: "Your details have been cleared from this screen.",
    idleTitle: "Are you still there?",
    idleText: "To keep your answers private, this screen will be cleared in ",
    idleSeconds: " seconds.",
    idleStay: "I am still here",
    // The banner's and the end message's wording come from the page (data-banner and
    // data-end-of-chat, from content/web_chat.yml or content/kiosk.yml). These are only a last
    // resort for a page that embeds the widget without them: short, and never silent.
    fallbackBanner: {
      emergency: { title: "Emergency", text: "Call 999 now." },
      urgent: { title: "Urgent", text: "Get medical help today: call NHS 111." },
      soon: { title: "See a GP", text: "Contact your GP practice." },
    },
    fallbackEnd: ["This chat has ended."],
    ownPages: { "/privacy": "the privacy notice" },
    bannerShow: "Show advice",
    bannerHide: "Hide advice",
    call999: "Call 999",
    call111: "Call NHS 111",
    call111MentalHealth: "Call NHS 111 and choose the mental health option",
  };

  function positiveInt(value, fallback) {
    var n = parseInt(value, 10);
    return n > 0 ? n : fallback;
  }

  // The page's banner wording for each level (content/web_chat.yml or content/kiosk.yml): used
  // only when every level has a title and a text, else null (the fallback is shown).
  function bannerWords(json) {
    var words;
    try {
      words = JSON.parse(json || "null");
    } catch (error) {
      return null;
    }
    var complete = words && typeof words === "object" && Object.keys(LEVELS).every(function (level) {
      var one = words[level];
      return one && typeof one.title === "string" && typeof one.text === "string";
    });
    return complete ? words : null;
  }

  // The page's end-of-chat paragraphs (content/web_chat.yml or content/kiosk.yml): a list of
  // strings, else null (the fallback is shown).
  function endWords(json) {
    var words;
    try {
      words = JSON.parse(json || "null");
    } catch (error) {
      return null;
    }
    var complete =
      Array.isArray(words) &&
      words.length > 0 &&
      words.every(function (line) {
        return typeof line === "string" && line.trim();
      });
    return complete ? words.slice(0, 5).map(clip) : null;
  }

  function readConfig(node) {
    var data = node.dataset;
    var from = node.src || document.baseURI;
    return {
      gateway: new URL(data.gateway || "/api/v1/chat", from).href,
      stylesheet: new URL("widget.css", from).href,
      tokens: new URL("nhsuk-tokens.css", from).href,
      qrEndpoint: new URL(data.qrEndpoint || "/kiosk/qr", from).href,
      title: data.title || "Refer yourself for a muscle, bone or joint problem",
      launcher: data.launcherLabel || TEXT.launcher,
      mode: data.mode === "kiosk" ? "kiosk" : "web",
      startScreen: data.startScreen || "",
      idleWarningSeconds: positiveInt(data.idleWarningSeconds, 90),
      idleResetSeconds: positiveInt(data.idleResetSeconds, 30),
      banner: bannerWords(data.banner),
      endOfChat: endWords(data.endOfChat),
      launcherSlot: data.launcherSlot || "",
    };
  }

  // This site's own pages that the bot may name in its text, linked in the web chat.
  var OWN_PAGE = /(\/privacy)(?![\w/])/;

  // Build an element: el("p", {class: "x", text: "y"}, [children]). Text always via textContent.
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) {
        return;
      }
      if (name === "text") {
        node.textContent = value;
      } else if (name === "hidden") {
        node.hidden = true;
      } else {
        node.setAttribute(name, value === true ? "" : String(value));
      }
    });
    (children || []).forEach(function (child) {
      if (child) {
        node.appendChild(child);
      }
    });
    return node;
  }

  function svgIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "launcher-icon");
    var path = document.createElementNS(ns, "path");
    path.setAttribute(
      "d",
      "M4 3h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"
    );
    svg.appendChild(path);
    return svg;
  }

  function clip(value) {
    return typeof value === "string" ? value.slice(0, MAX_FIELD_CHARS) : "";
  }

  // Only absolute https links without credentials; anything else is dropped.
  function safeHttpsUrl(value) {
    if (typeof value !== "string") {
      return null;
    }
    try {
      var url = new URL(value);
      if (url.protocol !== "https:" || url.username || url.password) {
        return null;
      }
      return url.href;
    } catch (error) {
      return null;
    }
  }

  function cleanButtons(buttons) {
    if (!Array.isArray(buttons)) {
      return [];
    }
    return buttons
      .filter(function (b) {
        return b && typeof b.title === "string" && typeof b.payload === "string" && b.payload;
      })
      .slice(0, MAX_BUTTONS)
      .map(function (b) {
        return { title: clip(b.title), payload: b.payload.slice(0, 1000) };
      });
  }

  function cleanSignposts(items) {
    if (!Array.isArray(items)) {
      return [];
    }
    return items
      .filter(function (item) {
        return item && typeof item.title === "string";
      })
      .slice(0, 8)
      .map(function (item) {
        return { title: clip(item.title), summary: clip(item.summary), url: safeHttpsUrl(item.url) };
      });
  }

  // Cards come with a plain-text list of their titles and links for channels without cards;
  // Rasa's REST channel sends that text as the message just before the cards. It is not shown
  // when the cards are.
  function isTextFallback(message, next) {
    var cards = next && next.custom && !message.custom && !message.buttons ? next.custom.signpost : null;
    return (
      Array.isArray(cards) &&
      cards.length > 0 &&
      cards.every(function (card) {
        return card && typeof card.url === "string" && message.text.indexOf(card.url) >= 0;
      })
    );
  }

  // referred: a referral was sent; ended: the bot said goodbye (or stopped); lastActivity: when
  // the page was last used (ms), kept so the chat is cleared in time across the site's pages.
  function emptyState() {
    return {
      conversationId: null,
      open: false,
      history: [],
      replies: [],
      escalation: null,
      referred: false,
      ended: false,
      lastActivity: 0,
    };
  }

  // "Back pain (NHS website)" -> "Back pain: read on NHS website (opens in a new tab)".
  function linkText(title) {
    var named = /^(.+?)\s*\(([^()]+)\)$/.exec(title);
    return named ? named[1] + TEXT.readOn + named[2] + TEXT.newTab : title + TEXT.readPage + TEXT.newTab;
  }

  class MskChatWidget extends HTMLElement {
    constructor() {
      super();
      this.attachShadow({ mode: "open" });
      this.config = null;
      this.state = emptyState();
      this.busy = false;
      this.generation = 0;
      this.controller = null;
      this.timers = {};
      this.onEnd = null;
      this.onDocumentActivity = this.activity.bind(this);
      this.onPageActivity = this.pageActivity.bind(this);
      this.onVisibility = this.checkClear.bind(this);
    }

    configure(config, onEnd, inSlot) {
      this.config = config;
      this.onEnd = onEnd || null;
      this.inSlot = inSlot === true;
      return this;
    }

    get kiosk() {
      return this.config.mode === "kiosk";
    }

    connectedCallback() {
      if (this.built || !this.config) {
        return;
      }
      this.built = true;
      this.build();
      if (!this.kiosk) {
        this.restore();
        this.watchPage();
      }
    }

    disconnectedCallback() {
      this.destroy();
    }

    // ---- DOM -------------------------------------------------------------------------------

    build() {
      var self = this;
      var root = this.shadowRoot;
      // nhsuk-frontend's design tokens (built at set-up), then the widget's own styles.
      var tokens = el("link", { rel: "stylesheet", href: this.config.tokens });
      var link = el("link", { rel: "stylesheet", href: this.config.stylesheet });
      this.frame = el("div", { class: "frame", "data-mode": this.config.mode, hidden: true });
      var reveal = function () {
        self.frame.hidden = false;
        self.scrollToEnd();
        if (self.focusWhenShown) {
          self.focusWhenShown = false;
          self.placeFocus();
        }
      };
      link.addEventListener("load", reveal);
      link.addEventListener("error", reveal);
      root.appendChild(tokens);
      root.appendChild(link);
      root.appendChild(this.frame);

      if (!this.kiosk) {
        this.launcherText = el("span", { text: this.config.launcher });
        this.launcher = el(
          "button",
          {
            type: "button",
            class: "launcher",
            "aria-expanded": "false",
            "aria-controls": "msk-panel",
            "aria-haspopup": "dialog",
          },
          [svgIcon(), this.launcherText]
        );
        this.launcher.addEventListener("click", function () {
          self.open(true);
        });
        this.frame.appendChild(this.launcher);
        this.labelLauncher();
      }

      var tools = [
        this.toolButton(TEXT.startAgain, "restart"),
        this.toolButton(this.kiosk ? TEXT.finish : TEXT.endChat, "end"),
      ];
      if (!this.kiosk) {
        var close = this.toolButton(TEXT.close, "close");
        close.setAttribute("aria-label", TEXT.closeLabel);
        tools.push(close);
      }
      var header = el("div", { class: "header" }, [
        el("h2", { id: "msk-title", class: "title", text: this.config.title }),
        el("div", { class: "tools" }, tools),
      ]);

      this.confirmText = el("p", { id: "msk-confirm-text", class: "confirm-text" });
      this.confirmYes = el("button", { type: "button", class: "button button-warning" });
      this.confirmNo = el("button", { type: "button", class: "button button-secondary", text: TEXT.confirmNo });
      this.confirmBox = el(
        "div",
        { class: "confirm", role: "group", "aria-labelledby": "msk-confirm-text", hidden: true },
        [this.confirmText, el("div", { class: "confirm-actions" }, [this.confirmYes, this.confirmNo])]
      );
      this.confirmYes.addEventListener("click", function () {
        var action = self.pendingConfirm;
        self.hideConfirm(false);
        if (action) {
          action();
        }
      });
      this.confirmNo.addEventListener("click", function () {
        var action = self.pendingNo;
        self.hideConfirm(!action);
        if (action) {
          action();
        }
      });

      this.banner = el("div", { class: "banner", role: "alert", hidden: true });
      this.log = el("div", {
        class: "log",
        role: "log",
        "aria-live": "polite",
        "aria-label": TEXT.log,
        tabindex: "0",
      });
      // Kept at the newest message whenever the log or the panel changes size (buttons drawn,
      // banner shown, keyboard opened), unless the patient has scrolled up to read. On a short
      // screen the panel scrolls as well as the log (its message box staying at the bottom).
      this.atEnd = true;
      var atEnd = function (node) {
        return node.scrollTop + node.clientHeight >= node.scrollHeight - 8;
      };
      var onScroll = function () {
        self.atEnd = atEnd(self.log) && atEnd(self.panel);
      };
      this.log.addEventListener("scroll", onScroll);
      // After "Clear this chat": nothing of the chat is left, and a fresh start is offered.
      var startNew = el("button", { type: "button", class: "button", text: TEXT.startNew });
      startNew.addEventListener("click", function () {
        if (!self.busy) {
          self.focusAfterReply = true;
          self.send(OPENING_MESSAGE, null);
        }
      });
      this.clearedNote = el("div", { class: "msg msg-cleared" }, [
        el("p", { class: "cleared-text", text: TEXT.cleared }),
        startNew,
      ]);
      this.typing = el("div", { class: "typing", role: "status", hidden: true }, [
        el("span", { class: "dots", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]),
        el("span", { text: TEXT.typing }),
      ]);
      this.replies = el("div", { class: "replies", role: "group", "aria-label": TEXT.replies });
      this.input = el("input", {
        id: "msk-input",
        class: "input",
        type: "text",
        name: "message",
        maxlength: "1000",
        autocomplete: "off",
        autocapitalize: "sentences",
        enterkeyhint: "send",
      });
      var form = el("form", { class: "composer", novalidate: true }, [
        el("label", { for: "msk-input", class: "composer-label", text: TEXT.inputLabel }),
        el("div", { class: "composer-row" }, [
          this.input,
          el("button", { type: "submit", class: "button send", text: TEXT.send }),
        ]),
      ]);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var text = self.input.value.trim();
        if (text && !self.busy) {
          self.input.value = "";
          self.send(text, text);
        }
      });

      this.panel = el(
        "section",
        { id: "msk-panel", class: "panel", role: "dialog", "aria-labelledby": "msk-title", hidden: true },
        [header, this.notice(), this.confirmBox, this.banner, this.log, this.typing, this.replies, form]
      );
      this.panel.addEventListener("keydown", function (event) {
        self.onPanelKey(event);
      });
      this.panel.addEventListener("scroll", onScroll);
      if (typeof ResizeObserver === "function") {
        // (see this.atEnd above)
        var keepAtEnd = new ResizeObserver(function () {
          if (self.atEnd) {
            self.scrollToEnd();
          }
        });
        keepAtEnd.observe(this.log);
        keepAtEnd.observe(this.panel);
      }
      this.frame.appendChild(this.panel);

      if (this.kiosk) {
        this.buildIdleWarning();
      }
    }

    toolButton(label, action) {
      var self = this;
      var button = el("button", { type: "button", class: "tool", "data-action": action, text: label });
      button.addEventListener("click", function () {
        if (action === "close") {
          self.requestClose(button);
        } else if (action === "restart") {
          self.askConfirm(button, TEXT.confirmRestart, TEXT.confirmRestartYes, function () {
            self.startAgain();
          });
        } else if (self.kiosk) {
          self.askConfirm(button, TEXT.confirmFinish, TEXT.confirmFinishYes, function () {
            self.finish();
          });
        } else {
          self.askConfirm(button, TEXT.confirmEnd, TEXT.confirmEndYes, function () {
            self.endChat();
          });
        }
      });
      return button;
    }

    notice() {
      if (this.kiosk) {
        return null;
      }
      return el("p", { class: "notice" }, [
        document.createTextNode(TEXT.notice),
        el("a", { href: "tel:999", text: "999" }),
        document.createTextNode(TEXT.noticeMiddle),
        el("a", { href: "tel:111", text: "111" }),
        document.createTextNode(TEXT.noticeEnd),
      ]);
    }

    buildIdleWarning() {
      var self = this;
      this.idleCount = el("span", { class: "idle-count" });
      var stay = el("button", { type: "button", class: "button", text: TEXT.idleStay });
      stay.addEventListener("click", function () {
        self.activity();
      });
      this.idleBox = el(
        "div",
        {
          class: "idle",
          role: "alertdialog",
          "aria-modal": "true",
          "aria-labelledby": "msk-idle-title",
          "aria-describedby": "msk-idle-text",
          hidden: true,
        },
        [
          el("div", { class: "idle-box" }, [
            el("h2", { id: "msk-idle-title", text: TEXT.idleTitle }),
            el("p", { id: "msk-idle-text" }, [
              document.createTextNode(TEXT.idleText),
              this.idleCount,
              document.createTextNode(TEXT.idleSeconds),
            ]),
            stay,
          ]),
        ]
      );
      this.idleStay = stay;
      this.frame.appendChild(this.idleBox);
    }

    // ---- opening, closing, focus -----------------------------------------------------------

    open(moveFocus) {
      this.state.open = true;
      this.panel.hidden = false;
      if (this.launcher) {
        this.launcher.hidden = true;
        this.launcher.setAttribute("aria-expanded", "true");
      }
      if (moveFocus && this.frame.hidden) {
        this.focusWhenShown = true; // the stylesheet is still loading
      } else if (moveFocus) {
        this.placeFocus();
      }
      if (moveFocus && !this.state.conversationId && this.state.history.length === 0) {
        this.focusAfterReply = true; // the opening is on its way: focus its newest message
      }
      this.scrollToEnd();
      if (!this.state.conversationId && this.state.history.length === 0 && !this.busy) {
        this.send(OPENING_MESSAGE, null);
      }
      if (this.kiosk) {
        this.startIdleWatch();
      }
      this.save();
    }

    // Closing after a referral was sent or the chat ended first offers to clear it (a computer
    // may be shared); keeping it is the safe answer, focused first.
    requestClose(opener) {
      var self = this;
      if (this.kiosk || !(this.state.referred || this.state.ended) || !this.state.history.length) {
        this.close();
        return;
      }
      var question = (this.state.referred ? TEXT.confirmCloseReferred : "") + TEXT.confirmClose;
      this.askConfirm(
        opener,
        question,
        TEXT.clearChat,
        function () {
          self.clearChat(true);
        },
        TEXT.confirmCloseKeep,
        function () {
          self.close();
        }
      );
    }

    close() {
      this.hideConfirm(false);
      this.state.open = false;
      this.panel.hidden = true;
      if (this.launcher) {
        this.launcher.hidden = false;
        this.launcher.setAttribute("aria-expanded", "false");
        this.labelLauncher();
        this.launcher.focus();
      }
      this.save();
    }

    onPanelKey(event) {
      if (event.key === "Escape") {
        if (!this.confirmBox.hidden) {
          event.preventDefault();
          this.hideConfirm(true);
        } else if (!this.kiosk) {
          event.preventDefault();
          this.requestClose(this.panel.querySelector("[data-action='close']"));
        }
      } else if (event.key === "Tab" && this.fillsScreen()) {
        this.keepFocusInside(event);
      }
    }

    // When the panel covers the page (phones, kiosk, high zoom) Tab cycles inside it, so focus
    // never lands on page content hidden behind the panel.
    fillsScreen() {
      return this.kiosk || window.matchMedia("(max-width: 40em), (max-height: 30em)").matches;
    }

    keepFocusInside(event) {
      var focusable = Array.prototype.filter.call(
        this.panel.querySelectorAll("button, input, a[href], [tabindex='0']"),
        function (node) {
          return !node.disabled && node.getClientRects().length > 0;
        }
      );
      if (!focusable.length) {
        return;
      }
      var first = focusable[0];
      var last = focusable[focusable.length - 1];
      var active = this.shadowRoot.activeElement;
      if (event.shiftKey && active === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && active === last) {
        event.preventDefault();
        first.focus();
      }
    }

    // A question before something that cannot be undone. Focus goes to the safe answer ("No,
    // carry on", "Keep it and close"), so a double tap or Enter never clears anything.
    askConfirm(opener, question, yesLabel, action, noLabel, noAction) {
      this.pendingConfirm = action;
      this.pendingNo = noAction || null;
      this.confirmOpener = opener;
      this.confirmText.textContent = question;
      this.confirmYes.textContent = yesLabel;
      this.confirmNo.textContent = noLabel || TEXT.confirmNo;
      this.confirmBox.hidden = false;
      this.confirmNo.focus();
    }

    hideConfirm(returnFocus) {
      this.pendingConfirm = null;
      this.pendingNo = null;
      this.confirmBox.hidden = true;
      if (returnFocus && this.confirmOpener) {
        this.confirmOpener.focus();
      }
      this.confirmOpener = null;
    }

    // ---- talking to the gateway ------------------------------------------------------------

    // Send one message; `shown` is what the patient sees as their message (null: nothing).
    send(message, shown) {
      var self = this;
      var generation = this.generation;
      if (this.clearedNote.parentNode) {
        this.log.removeChild(this.clearedNote);
      }
      if (shown !== null) {
        this.state.ended = false; // the patient carries on after all
        this.addEntry({ kind: "user", text: shown });
      }
      this.setReplies([]);
      this.busy = true;
      this.typing.hidden = false;
      this.scrollToEnd();
      this.controller = new AbortController();
      var request = fetch(this.config.gateway, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          message: message,
          conversation_id: this.state.conversationId,
          channel: this.config.mode, // "web" or "kiosk": the kiosk is offered kiosk-suitable pages
        }),
        credentials: "omit",
        cache: "no-store",
        referrerPolicy: "no-referrer",
        signal: this.controller.signal,
      });
      return request
        .then(function (response) {
          return response.json().then(
            function (data) {
              return { ok: response.ok, status: response.status, data: data };
            },
            function () {
              return { ok: false, status: response.status, data: {} };
            }
          );
        })
        .then(function (result) {
          if (generation !== self.generation) {
            return;
          }
          if (!result.ok || !Array.isArray(result.data.messages)) {
            // A refusal (4xx) says what to change; a server failure gets the widget's own
            // words, which say where to get help now.
            self.failed(result.status < 500 ? result.data.error : null, message, shown);
            return;
          }
          self.state.conversationId = result.data.conversation_id;
          self.receive(result.data.messages);
        })
        .catch(function (error) {
          if (generation === self.generation && !(error && error.name === "AbortError")) {
            self.failed(null, message, shown);
          }
        })
        .then(function () {
          if (generation === self.generation) {
            self.busy = false;
            self.typing.hidden = true;
            self.controller = null;
            if (self.focusAfterReply && self.state.open) {
              self.focusAfterReply = false;
              self.placeFocus();
            }
            self.save();
            if (self.kiosk) {
              self.activity();
            }
          }
        });
    }

    failed(error, message, shown) {
      this.addEntry({ kind: "system", text: typeof error === "string" && error ? clip(error) : TEXT.unavailable });
      if (shown !== null && !this.input.value) {
        this.input.value = shown; // put it back so the patient can send it again
      }
    }

    receive(messages) {
      var self = this;
      var buttons = [];
      var ended = false;
      messages = messages.filter(function (message) {
        return message && typeof message === "object";
      });
      messages.forEach(function (message, index) {
        var custom = message.custom && typeof message.custom === "object" ? message.custom : {};
        var signposts = cleanSignposts(custom.signpost);
        if (typeof message.text === "string" && message.text && !isTextFallback(message, messages[index + 1])) {
          self.addEntry({ kind: "bot", text: message.text });
        }
        ended = ended || custom.end === true;
        var offered = cleanButtons(message.buttons);
        if (offered.length) {
          buttons = offered;
        }
        if (signposts.length) {
          self.addEntry({ kind: "signpost", items: signposts });
        }
        if (custom.escalation) {
          self.setEscalation(custom.escalation);
        }
        var referral = custom.referral;
        if (referral && typeof referral.reference === "string") {
          self.addEntry({
            kind: "referral",
            reference: clip(referral.reference),
            status: referral.status === "queued" ? "queued" : "submitted",
          });
          self.state.referred = true;
        }
      });
      if (ended && !buttons.length) {
        this.state.ended = true;
        this.addEntry({ kind: "end" });
      }
      this.setReplies(buttons);
      this.armClear();
    }

    // ---- rendering --------------------------------------------------------------------------

    addEntry(entry) {
      this.state.history.push(entry);
      if (this.state.history.length > MAX_HISTORY) {
        this.state.history.splice(0, this.state.history.length - MAX_HISTORY);
        if (this.log.firstChild) {
          this.log.removeChild(this.log.firstChild);
        }
      }
      this.log.appendChild(this.render(entry));
      this.scrollToEnd();
    }

    render(entry) {
      if (entry.kind === "signpost") {
        return this.renderSignposts(entry.items);
      }
      if (entry.kind === "referral") {
        return this.renderReferral(entry);
      }
      if (entry.kind === "end") {
        return this.renderEnd();
      }
      if (entry.kind === "note") {
        return el("div", { class: "msg msg-note" }, [
          el("span", { class: "msg-text", text: TEXT.detailsCleared }),
        ]);
      }
      var who = entry.kind === "user" ? TEXT.you : TEXT.assistant;
      var body =
        entry.kind === "bot" ? this.withOwnLinks(entry.text) : el("span", { class: "msg-text", text: entry.text });
      return el("div", { class: "msg msg-" + entry.kind }, [
        el("span", { class: "visually-hidden", text: entry.kind === "system" ? "" : who }),
        body,
      ]);
    }

    // On the kiosk the patient says when they have noted the reference: then their details
    // (everything up to the reference) leave the screen at once, not at the inactivity reset.
    renderReferral(entry) {
      var self = this;
      var node = el("div", { class: "msg msg-referral" }, [
        el("p", { class: "referral-label", text: TEXT.referralLabel }),
        el("p", { class: "referral-ref", text: entry.reference }),
        el("p", { text: entry.status === "queued" ? TEXT.referralQueued : TEXT.referralSent }),
      ]);
      if (this.kiosk) {
        var noted = el("button", { type: "button", class: "button", text: TEXT.noted });
        noted.addEventListener("click", function () {
          self.clearDetails(node);
        });
        node.appendChild(el("p", { class: "referral-note", text: TEXT.noteIt }));
        node.appendChild(noted);
      }
      return node;
    }

    // The end message: when the chat will be cleared, and a button to clear it now.
    renderEnd() {
      var self = this;
      var clear = el("button", { type: "button", class: "button button-secondary", text: TEXT.clearChat });
      clear.addEventListener("click", function () {
        if (self.kiosk) {
          self.finish();
        } else {
          self.clearChat(true);
        }
      });
      // The page's paragraphs (content/); "{minutes}" is the time after which it is cleared.
      var words = (this.config.endOfChat || TEXT.fallbackEnd).map(function (line) {
        return el("p", { text: line.split("{minutes}").join(String(CLEAR_AFTER_MINUTES)) });
      });
      return el("div", { class: "msg msg-end" }, words.concat([clear]));
    }

    // The bot's text, with this site's own pages it names ("/privacy") as links that open
    // beside the chat (text nodes and one anchor each: never markup). On the kiosk, where
    // there is nowhere to open a page, the page's address stays text and a QR code follows
    // the message, to read it later on a phone.
    withOwnLinks(text) {
      var self = this;
      var span = el("span", { class: "msg-text" });
      var pages = [];
      String(text).split(OWN_PAGE).forEach(function (part, index) {
        if (index % 2 === 1 && !self.kiosk) {
          span.appendChild(
            el("a", { href: part, target: "_blank", rel: "noopener noreferrer", text: part })
          );
        } else if (part) {
          span.appendChild(document.createTextNode(part));
          if (index % 2 === 1) {
            pages.push(part);
          }
        }
      });
      if (!pages.length) {
        return span;
      }
      var origin = new URL(this.config.gateway).origin;
      return el("div", { class: "msg-text" }, [span].concat(pages.map(function (path) {
        return self.qrFor({ url: origin + path, title: TEXT.ownPages[path] || path });
      })));
    }

    renderSignposts(items) {
      var self = this;
      var cards = items.map(function (item) {
        var parts = [el("h3", { class: "card-title", text: item.title })];
        if (item.summary) {
          parts.push(el("p", { class: "card-summary", text: item.summary }));
        }
        parts.push(self.kiosk ? self.qrFor(item) : self.linkFor(item));
        return el("li", { class: "card" }, parts);
      });
      return el("div", { class: "msg msg-signpost" }, [
        el("p", { class: "cards-label", text: TEXT.suggested }),
        el("ul", { class: "cards" }, cards),
      ]);
    }

    linkFor(item) {
      if (!item.url) {
        return el("p", { class: "card-note", text: TEXT.noLink });
      }
      return el("a", {
        class: "card-link",
        href: item.url,
        target: "_blank",
        rel: "noopener noreferrer",
        text: linkText(item.title),
      });
    }

    // Kiosk: no way out to other sites, so a link is a QR code to scan with a phone.
    qrFor(item) {
      if (!item.url) {
        return el("p", { class: "card-note", text: TEXT.noLink });
      }
      var note = el("p", { class: "card-note", text: TEXT.scan });
      var image = el("img", {
        class: "card-qr",
        src: this.config.qrEndpoint + "?url=" + encodeURIComponent(item.url),
        alt: "QR code for " + item.title,
        width: "180",
        height: "180",
        draggable: "false",
      });
      image.addEventListener("error", function () {
        image.hidden = true;
        note.textContent = TEXT.noLink;
      });
      return el("figure", { class: "card-figure" }, [image, note]);
    }

    setReplies(buttons) {
      var self = this;
      this.state.replies = buttons;
      this.replies.replaceChildren();
      this.replies.hidden = buttons.length === 0;
      buttons.forEach(function (b) {
        var button = el("button", { type: "button", class: "button reply", text: b.title });
        button.addEventListener("click", function () {
          if (!self.busy) {
            // Not the text box: on a phone its keyboard would cover the next buttons. Focus
            // moves to the reply when it comes (placeFocus).
            self.focusAfterReply = true;
            self.send(b.payload, b.title);
          }
        });
        self.replies.appendChild(button);
      });
      this.scrollToEnd(); // the buttons take room from the log: keep the question in view
    }

    // Focus after a reply: the newest message when buttons are offered (read out, and no
    // on-screen keyboard covering them), the text box when the patient is expected to type.
    placeFocus() {
      var messages = this.log.querySelectorAll(".msg-bot");
      var newest = messages.length ? messages[messages.length - 1] : null;
      if (this.state.replies.length && newest) {
        newest.setAttribute("tabindex", "-1");
        newest.focus({ preventScroll: true });
      } else {
        this.input.focus();
      }
      this.scrollToEnd();
    }

    // The launcher's words: start, continue, or (after an escalation) the level of advice
    // waiting in the chat, marked by colour too (data-level).
    labelLauncher() {
      if (!this.launcher) {
        return;
      }
      // Before a chat has started, a page's launcher slot (data-launcher-slot) holds the
      // launcher in the page's flow on a phone, so it covers nothing the page says first ("not
      // for emergencies"); once there is a chat to come back to, it floats, always in reach.
      var inline = this.inSlot && !this.state.history.length && !this.state.escalation;
      this.frame.setAttribute("data-launcher", inline ? "inline" : "float");
      var escalation = this.state.escalation;
      if (escalation && TEXT.launcherEscalated[escalation.level]) {
        this.launcherText.textContent = TEXT.launcherEscalated[escalation.level];
        this.launcher.setAttribute("data-level", escalation.level);
        return;
      }
      this.launcher.removeAttribute("data-level");
      this.launcherText.textContent = this.state.history.length ? TEXT.launcherContinue : this.config.launcher;
    }

    setEscalation(marker) {
      var level = marker && typeof marker.level === "string" ? marker.level : "";
      if (!LEVELS[level]) {
        level = "emergency"; // an unreadable escalation is treated as the most serious
      }
      var current = this.state.escalation;
      if (current && LEVELS[current.level] >= LEVELS[level]) {
        return;
      }
      this.state.escalation = { level: level, code: clip(marker && marker.code) };
      this.renderBanner();
    }

    renderBanner() {
      var escalation = this.state.escalation;
      this.banner.replaceChildren();
      this.banner.hidden = !escalation;
      if (!escalation) {
        return;
      }
      var self = this;
      var words = (this.config.banner || TEXT.fallbackBanner)[escalation.level];
      this.banner.className = "banner banner-" + escalation.level;
      this.banner.setAttribute("data-level", escalation.level);
      // On a short screen (phone keyboard open, high zoom) the banner is one line, its title
      // and a button that shows the rest (the stylesheet hides the button elsewhere). Screen
      // readers still hear the whole advice when the alert comes.
      var toggle = el("button", {
        type: "button",
        class: "banner-toggle",
        "aria-expanded": "false",
        "aria-controls": "msk-banner-body",
        text: TEXT.bannerShow,
      });
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") !== "true";
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        toggle.textContent = open ? TEXT.bannerHide : TEXT.bannerShow;
        self.banner.classList.toggle("banner-open", open);
        if (self.atEnd) {
          self.scrollToEnd();
        }
      });
      var body = el("div", { id: "msk-banner-body", class: "banner-body" }, [el("p", { text: words.text })]);
      this.banner.appendChild(
        el("div", { class: "banner-head" }, [el("h3", { class: "banner-title", text: words.title }), toggle])
      );
      this.banner.appendChild(body);
      if (!this.kiosk) {
        var calls = [];
        if (escalation.level === "emergency") {
          calls.push(el("a", { class: "call call-999", href: "tel:999", text: TEXT.call999 }));
          if (escalation.code === "mental_health_crisis") {
            calls.push(el("a", { class: "call call-111", href: "tel:111", text: TEXT.call111MentalHealth }));
          }
        } else {
          calls.push(el("a", { class: "call call-111", href: "tel:111", text: TEXT.call111 }));
          calls.push(el("a", { class: "call call-999 call-secondary", href: "tel:999", text: TEXT.call999 }));
        }
        body.appendChild(el("div", { class: "banner-actions" }, calls));
      }
    }

    // The newest message in view: the log's end and, on a screen too short for the whole panel
    // (which then scrolls, its message box staying at the bottom), the panel's end too.
    scrollToEnd() {
      this.log.scrollTop = this.log.scrollHeight;
      if (this.panel && this.panel.scrollHeight > this.panel.clientHeight) {
        this.panel.scrollTop = this.panel.scrollHeight;
      }
      this.atEnd = true;
    }

    clearConversation() {
      this.generation += 1;
      if (this.controller) {
        this.controller.abort();
      }
      this.controller = null;
      this.busy = false;
      this.typing.hidden = true;
      var open = this.state.open;
      this.state = emptyState();
      this.state.open = open;
      this.log.replaceChildren();
      this.setReplies([]);
      this.renderBanner();
      this.input.value = "";
      clearTimeout(this.timers.clear);
    }

    // Tell the server to forget a conversation (its half-finished form); nobody waits.
    restartOnServer(conversationId) {
      if (!conversationId) {
        return;
      }
      fetch(this.config.gateway, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ message: RESTART_MESSAGE, conversation_id: conversationId }),
        credentials: "omit",
        keepalive: true,
      }).catch(function () {});
    }

    // "Clear this chat", or the time after a referral or the end is up: nothing of the chat is
    // left on the screen or in the tab. An open panel says so and offers a fresh start.
    clearChat(moveFocus) {
      var previous = this.state.conversationId;
      this.hideConfirm(false);
      this.clearConversation();
      this.restartOnServer(previous);
      this.forget();
      this.labelLauncher();
      this.clearedNote.removeAttribute("tabindex");
      this.log.appendChild(this.clearedNote);
      if (moveFocus && this.state.open) {
        this.clearedNote.setAttribute("tabindex", "-1");
        this.clearedNote.focus();
      }
      this.scrollToEnd();
    }

    // Kiosk: the patient has noted their reference, so everything up to it (their answers, the
    // summary with their details) leaves the screen; what came after it (pages to read, the
    // next question) stays.
    clearDetails(referralNode) {
      var nodes = Array.prototype.slice.call(this.log.children);
      var upTo = nodes.indexOf(referralNode);
      if (upTo < 0) {
        return;
      }
      nodes.slice(0, upTo + 1).forEach(function (node) {
        node.remove();
      });
      this.state.history.splice(0, upTo + 1);
      var note = { kind: "note" };
      this.state.history.unshift(note);
      this.log.insertBefore(this.render(note), this.log.firstChild);
      this.placeFocus();
    }

    // ---- start again, end chat ---------------------------------------------------------------

    startAgain() {
      var self = this;
      var previous = this.state.conversationId;
      this.clearConversation();
      this.state.conversationId = previous; // the restart clears this conversation on the server
      this.input.focus();
      var restart = previous ? this.send(RESTART_MESSAGE, null) : Promise.resolve();
      restart.then(function () {
        if (!self.busy) {
          self.send(OPENING_MESSAGE, null);
        }
      });
    }

    endChat() {
      var previous = this.state.conversationId;
      this.clearConversation();
      this.restartOnServer(previous); // the half-finished form goes on the server too
      this.forget();
      this.close();
    }

    finish() {
      if (this.onEnd) {
        this.onEnd();
      }
    }

    // ---- session storage (web mode only) -------------------------------------------------------

    save() {
      if (this.kiosk || !this.state) {
        return;
      }
      try {
        if (!this.state.conversationId && this.state.history.length === 0) {
          window.sessionStorage.removeItem(STORAGE_KEY);
        } else {
          window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(this.state));
        }
      } catch (error) {
        // storage full or blocked: the chat still works, it just will not follow the patient
      }
    }

    forget() {
      try {
        window.sessionStorage.removeItem(STORAGE_KEY);
      } catch (error) {
        // nothing stored
      }
    }

    restore() {
      var saved = null;
      try {
        saved = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || "null");
      } catch (error) {
        saved = null;
      }
      if (!saved || typeof saved !== "object" || !Array.isArray(saved.history)) {
        return;
      }
      var self = this;
      this.state.conversationId = /^[0-9a-f]{64}$/.test(saved.conversationId) ? saved.conversationId : null;
      if (
        (saved.referred === true || saved.ended === true) &&
        typeof saved.lastActivity === "number" &&
        Date.now() - saved.lastActivity >= CLEAR_AFTER_MINUTES * 60000
      ) {
        // The tab was left unused for longer than the end message said: nothing comes back.
        this.restartOnServer(this.state.conversationId);
        this.state.conversationId = null;
        this.forget();
        return;
      }
      saved.history.slice(-MAX_HISTORY).forEach(function (entry) {
        var clean = self.cleanEntry(entry);
        if (clean) {
          self.state.history.push(clean);
          self.log.appendChild(self.render(clean));
        }
      });
      if (saved.escalation) {
        this.setEscalation(saved.escalation);
      }
      this.setReplies(cleanButtons(saved.replies));
      this.state.referred = saved.referred === true;
      this.state.ended = saved.ended === true;
      this.state.lastActivity = typeof saved.lastActivity === "number" ? saved.lastActivity : 0;
      if (saved.open) {
        this.open(false);
      } else if (this.state.history.length) {
        this.labelLauncher();
      }
    }

    // Stored entries are re-checked: sessionStorage is not trusted more than the network.
    cleanEntry(entry) {
      if (!entry || typeof entry !== "object") {
        return null;
      }
      if (entry.kind === "signpost") {
        var items = cleanSignposts(entry.items);
        return items.length ? { kind: "signpost", items: items } : null;
      }
      if (entry.kind === "referral") {
        return {
          kind: "referral",
          reference: clip(entry.reference),
          status: entry.status === "queued" ? "queued" : "submitted",
        };
      }
      if (entry.kind === "end" || entry.kind === "note") {
        return { kind: entry.kind };
      }
      if (["user", "bot", "system"].indexOf(entry.kind) >= 0 && typeof entry.text === "string") {
        return { kind: entry.kind, text: entry.text };
      }
      return null;
    }

    // ---- web: clearing after a referral or the end, when nobody uses the page --------------

    watchPage() {
      var self = this;
      ACTIVITY_EVENTS.forEach(function (name) {
        document.addEventListener(name, self.onPageActivity, true);
      });
      document.addEventListener("visibilitychange", this.onVisibility);
      this.armClear();
    }

    clearArmed() {
      return !this.kiosk && (this.state.referred || this.state.ended) && this.state.history.length > 0;
    }

    // From a referral or the end on, the chat is cleared CLEAR_AFTER_MINUTES after the page was
    // last used. The time is kept with the chat, so it counts across the site's pages too.
    armClear() {
      if (!this.clearArmed()) {
        return;
      }
      if (!this.state.lastActivity) {
        this.state.lastActivity = Date.now();
        this.save();
      }
      this.checkClear();
    }

    checkClear() {
      var self = this;
      clearTimeout(this.timers.clear);
      if (!this.clearArmed()) {
        return;
      }
      var left = this.state.lastActivity + CLEAR_AFTER_MINUTES * 60000 - Date.now();
      if (left <= 0) {
        this.clearChat(false);
        return;
      }
      // Checked again then: activity in between moves the time on, and a new timer is set.
      this.timers.clear = setTimeout(function () {
        self.checkClear();
      }, Math.min(left + 50, 60000));
    }

    pageActivity() {
      if (!this.clearArmed()) {
        return;
      }
      var now = Date.now();
      if (now - this.state.lastActivity > 5000) {
        this.state.lastActivity = now; // written to sessionStorage at most every 5 seconds
        this.save();
      }
    }

    // ---- kiosk inactivity --------------------------------------------------------------------

    startIdleWatch() {
      var self = this;
      if (this.watching) {
        return;
      }
      this.watching = true;
      ACTIVITY_EVENTS.forEach(function (name) {
        document.addEventListener(name, self.onDocumentActivity, true);
      });
      this.activity();
    }

    activity() {
      var self = this;
      if (!this.watching) {
        return;
      }
      clearTimeout(this.timers.warning);
      clearTimeout(this.timers.reset);
      clearInterval(this.timers.count);
      if (!this.idleBox.hidden) {
        this.idleBox.hidden = true;
        this.frame.classList.remove("frame-idle");
        this.panel.inert = false;
        this.input.focus();
      }
      this.timers.warning = setTimeout(function () {
        self.warnIdle();
      }, this.config.idleWarningSeconds * 1000);
    }

    warnIdle() {
      var self = this;
      var left = this.config.idleResetSeconds;
      this.idleCount.textContent = String(left);
      // The chat behind the warning is blurred (and out of reach), so a passer-by cannot read it.
      this.frame.classList.add("frame-idle");
      this.panel.inert = true;
      this.idleBox.hidden = false;
      this.idleStay.focus({ preventScroll: true });
      this.timers.count = setInterval(function () {
        left = Math.max(left - 1, 0);
        self.idleCount.textContent = String(left);
      }, 1000);
      this.timers.reset = setTimeout(function () {
        self.finish();
      }, left * 1000);
    }

    destroy() {
      var self = this;
      this.generation += 1;
      if (this.controller) {
        this.controller.abort();
      }
      clearTimeout(this.timers.warning);
      clearTimeout(this.timers.reset);
      clearTimeout(this.timers.clear);
      clearInterval(this.timers.count);
      ACTIVITY_EVENTS.forEach(function (name) {
        document.removeEventListener(name, self.onDocumentActivity, true);
        document.removeEventListener(name, self.onPageActivity, true);
      });
      document.removeEventListener("visibilitychange", this.onVisibility);
      this.watching = false;
      this.state = emptyState();
      this.shadowRoot.replaceChildren();
    }
  }

  // The kiosk: a start screen from the page, then a fresh widget per patient. Finishing, or
  // leaving the screen untouched, throws the whole widget away (its DOM, its state, any reply
  // still on its way) and shows the start screen again.
  function startKiosk(config) {
    var start = config.startScreen ? document.getElementById(config.startScreen) : null;
    var startButton = start ? start.querySelector("[data-msk-start]") : null;
    var widget = null;

    function reset() {
      if (widget) {
        widget.remove();
        widget = null;
      }
      if (start) {
        start.hidden = false;
      }
      if (startButton) {
        startButton.focus();
      } else {
        begin();
      }
    }

    function begin() {
      if (widget) {
        return;
      }
      if (start) {
        start.hidden = true;
      }
      widget = document.createElement(TAG).configure(config, reset);
      document.body.appendChild(widget);
      widget.open(true);
    }

    if (startButton) {
      startButton.addEventListener("click", begin);
    } else {
      begin();
    }
  }

  window.customElements.define(TAG, MskChatWidget);
  var config = readConfig(script);
  function mount() {
    if (config.mode === "kiosk") {
      startKiosk(config);
    } else {
      // In the page's launcher slot when it has one (its launcher then sits in the page's flow
      // on a phone until a chat starts, see labelLauncher); else at the end of the page.
      var slot = config.launcherSlot ? document.getElementById(config.launcherSlot) : null;
      (slot || document.body).appendChild(document.createElement(TAG).configure(config, null, !!slot));
    }
  }
  if (document.body) {
    mount();
  } else {
    document.addEventListener("DOMContentLoaded", mount);
  }
})();

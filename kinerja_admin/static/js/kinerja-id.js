/* Indonesian calendar for Flask-Admin's date pickers (bootstrap-daterangepicker reads day and month
   names from moment.js, its button labels from its options): days Min Sen Sel Rab Kam Jum Sab,
   months Jan Feb Mar Apr Mei Jun Jul Agu Sep Okt Nov Des, weeks from Monday, buttons Terapkan/Batal.
   Loaded after moment.js; the picker is wrapped before form.js initialises the fields. */
(function () {
  'use strict';
  var months = ['Januari', 'Februari', 'Maret', 'April', 'Mei', 'Juni', 'Juli', 'Agustus', 'September',
                'Oktober', 'November', 'Desember'];
  var monthsShort = ['Jan', 'Feb', 'Mar', 'Apr', 'Mei', 'Jun', 'Jul', 'Agu', 'Sep', 'Okt', 'Nov', 'Des'];
  var days = ['Minggu', 'Senin', 'Selasa', 'Rabu', 'Kamis', 'Jumat', 'Sabtu'];
  var daysMin = ['Mg', 'Sn', 'Sl', 'Rb', 'Km', 'Jm', 'Sb'];
  if (window.moment) {
    window.moment.locale('id', {
      months: months, monthsShort: monthsShort, weekdays: days,
      weekdaysShort: ['Min', 'Sen', 'Sel', 'Rab', 'Kam', 'Jum', 'Sab'], weekdaysMin: daysMin,
      week: {dow: 1, doy: 7}
    });
    window.moment.locale('id');
  }
  var indonesian = {
    applyLabel: 'Terapkan', cancelLabel: 'Batal', fromLabel: 'Dari', toLabel: 'Sampai', weekLabel: 'Mg',
    customRangeLabel: 'Rentang lain', daysOfWeek: daysMin.slice(), monthNames: monthsShort.slice(), firstDay: 1
  };
  function wrap() {
    var $ = window.jQuery;
    if (!$ || !$.fn.daterangepicker || $.fn.daterangepicker.kinerjaIndonesian) { return; }
    var original = $.fn.daterangepicker;
    $.fn.daterangepicker = function (options, callback) {
      var opts = $.extend(true, {locale: $.extend({}, indonesian)}, options || {});
      if (opts.separator === ' to ') { opts.separator = ' sampai '; }
      return original.call(this, opts, callback);
    };
    $.fn.daterangepicker.kinerjaIndonesian = true;
  }
  // form.js applies the widgets on DOM ready; this handler is registered first, so it runs first.
  if (window.jQuery) { window.jQuery(wrap); }
}());

/* Flask-Admin's menus ("Tambah Filter", the filter names, action menus) are links to
   "javascript:void(0)"; their jQuery handlers do the work, and the browser's own follow-up (running
   that javascript: URL) is refused by the Content-Security-Policy with a console error on every
   click. Cancel just that default action; the handlers still run. */
document.addEventListener('click', function (event) {
  var link = event.target && event.target.closest ? event.target.closest('a[href^="javascript:"]') : null;
  if (link) { event.preventDefault(); }
}, true);
